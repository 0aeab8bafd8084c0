/**
 * Local SGD / DiLoCo across real processes (issue 12 item 3): `--sync-every H --replicas R` gives
 * the model of `train` with the same flags, byte for byte, for 1, 2 and 3 workers hosting the 4
 * replicas and with a worker SIGKILLed mid-run; the flags work from a config file; bad values are
 * refused in one line; and the bytes on the coordinator's links per inner step fall by about H
 * (counted from the per-round traffic of `--metrics`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, expectUsageError, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';
import { killAll, startCoordinator, startWorker, type Running } from './helpers/processes.js';

const TOKEN = 'integration-token';
/** Small and fast: the UCI digits, 15 minibatches per epoch; rounds of 4 inner steps cross its end. */
const SMALL = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '96', '--seed', '3'];
const LOCAL = ['--sync-every', '4', '--replicas', '4', '--reproducible', '4'];
/**
 * Slow enough rounds (784-512-10 on the embedded MNIST) to kill a process while the run is going;
 * 80 minibatches an epoch, so rounds of 7 cross its end.
 */
const SLOW = ['--dataset', 'mnist', '--layers', '512', '--epochs', '2', '--batch-size', '100', '--seed', '5'];

async function status(url: string): Promise<{ step: number; state: string }> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/status`);
  return (await res.json()) as never;
}

/** Polls /status until the coordinator has finished `step` (inner) steps. */
async function untilStep(url: string, step: number): Promise<void> {
  for (;;) {
    const s = await status(url);
    if (s.step >= step) return;
    if (s.state === 'finished') throw new Error(`the run finished before step ${step}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Metrics {
  readonly minibatchCost: number[];
  readonly minibatchTiming: Array<{ sentBytes: number; receivedBytes: number }>;
}

describe.skipIf(NO_DIGITS)('local SGD (--sync-every, --replicas)', () => {
  let dir: string;
  const cache = (): string[] => ['--data-cache', join(dir, 'cache')];
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => killAll());
  afterAll(async () => removeTempDir(dir));

  /** A coordinator with no local threads and `count` workers (threads 1, 2, 1, …); resolves its model file. */
  async function distributed(flags: readonly string[], count: number, name: string): Promise<Buffer> {
    const out = join(dir, `${name}.json`);
    const c = await startCoordinator([
      ...flags,
      '--local-threads',
      '0',
      '--min-workers',
      String(count),
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const workers = Array.from({ length: count }, (_, i) =>
      startWorker(c.url, TOKEN, ['--threads', String(1 + (i % 2)), ...cache()]),
    );
    expect(await c.exited, c.stderr()).toBe(0);
    for (const w of workers) expect(await w.exited, w.stderr()).toBe(0);
    return readFile(out);
  }

  it('writes the model of train --sync-every 4 --replicas 4 byte for byte with 1, 2 and 3 workers', async () => {
    const reference = join(dir, 'ref.json');
    const t = await runCli(['train', ...SMALL, ...LOCAL, '--threads', '1', '--out', reference, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const expected = await readFile(reference);
    // The synchronous step's model is another one: the flags do change the training.
    const sync = join(dir, 'sync.json');
    expect((await runCli(['train', ...SMALL, '--reproducible', '4', '--out', sync, '--no-progress'])).code).toBe(0);
    expect((await readFile(sync)).equals(expected)).toBe(false);
    const threads = join(dir, 'threads.json');
    expect((await runCli(['train', ...SMALL, ...LOCAL, '--threads', '2', '--out', threads])).code).toBe(0);
    expect((await readFile(threads)).equals(expected), 'train with 2 threads').toBe(true);
    for (const count of [1, 2, 3]) {
      const model = await distributed([...SMALL, ...LOCAL], count, `w${count}`);
      expect(model.equals(expected), `${count} workers`).toBe(true);
    }
  });

  it('stays byte-identical with a worker SIGKILLed mid-run (its replicas are recomputed by the survivor)', async () => {
    const flags = [...SLOW, '--sync-every', '7', '--replicas', '4'];
    const reference = join(dir, 'kill-ref.json');
    const t = await runCli(['train', ...flags, '--threads', '1', '--out', reference, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'kill.json');
    const c = await startCoordinator([
      ...flags,
      '--local-threads',
      '0',
      '--min-workers',
      '2',
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const victim: Running = startWorker(c.url, TOKEN, ['--threads', '1', ...cache()]);
    const survivor = startWorker(c.url, TOKEN, ['--threads', '1', ...cache()]);
    await untilStep(c.url, 12);
    victim.child.kill('SIGKILL');
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await survivor.exited).toBe(0);
    expect(c.stderr()).toMatch(/worker \d (was lost|left|dropped)/);
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });

  it('resumes after the coordinator is SIGKILLed to the bytes of an uninterrupted run (checkpoints at round ends)', async () => {
    const flags = [...SLOW, '--sync-every', '7', '--replicas', '4'];
    const reference = join(dir, 'resume-ref.json');
    const t = await runCli(['train', ...flags, '--threads', '1', '--out', reference, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const ckpt = join(dir, 'resume-ckpt');
    const out = join(dir, 'resumed.json');
    // 160 steps in rounds of 7: --checkpoint-every 10 is due at rounds that pass a multiple of 10.
    const run = (extra: readonly string[]) =>
      startCoordinator([
        ...flags,
        ...['--local-threads', '0', '--min-workers', '2', '--token', TOKEN],
        ...['--checkpoint', ckpt, '--checkpoint-every', '10', '--out', out, ...extra],
      ]);
    const first = await run([]);
    const firstWorkers = [0, 1].map(() => startWorker(first.url, TOKEN, ['--threads', '1', ...cache()]));
    let saved = 0;
    while (saved < 30) {
      await new Promise((r) => setTimeout(r, 20));
      const text = await readFile(join(ckpt, 'checkpoint.json'), 'utf8').catch(() => null);
      if (text) saved = JSON.parse(text).position.step;
    }
    first.child.kill('SIGKILL');
    for (const w of firstWorkers) w.child.kill('SIGKILL');
    await first.exited;
    const at = JSON.parse(await readFile(join(ckpt, 'checkpoint.json'), 'utf8')).position;
    // Killed mid-run, at a round's end past an epoch's end crossed inside a round, or before it.
    expect(at.step % 7).toBe(0);
    expect(at.step).toBeLessThan(160);
    const second = await run(['--resume']);
    const workers = [0, 1].map(() => startWorker(second.url, TOKEN, ['--threads', '1', ...cache()]));
    expect(await second.exited, second.stderr()).toBe(0);
    for (const w of workers) expect(await w.exited).toBe(0);
    expect(second.stderr()).toMatch(/resuming at epoch \d, step \d+/);
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });

  it('takes the local-SGD settings from a config file, as the same flags typed', async () => {
    const file = join(dir, 'local.yaml');
    await writeFile(file, 'sync-every: 3\nreplicas: 4\nouter-optimizer: sgd\nouter-lr: 0.9\nouter-momentum: 0.5\n');
    const typed = join(dir, 'typed.json');
    const fromFile = join(dir, 'from-file.json');
    const metrics = join(dir, 'config-metrics.json');
    const base = [...SMALL, '--threads', '1', '--no-progress'];
    const a = await runCli([
      'train',
      ...base,
      ...['--sync-every', '3', '--replicas', '4', '--outer-optimizer', 'sgd', '--outer-lr', '0.9'],
      ...['--outer-momentum', '0.5', '--out', typed],
    ]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['train', ...base, '--config', file, '--out', fromFile, '--metrics', metrics]);
    expect(b.code, b.stderr).toBe(0);
    expect((await readFile(fromFile)).equals(await readFile(typed))).toBe(true);
    const options = JSON.parse(await readFile(metrics, 'utf8')).run.options;
    expect(options.localSgd).toEqual({
      syncEvery: 3,
      replicas: 4,
      outerOptimizer: 'sgd',
      outerLearningRate: 0.9,
      outerMomentum: 0.5,
    });
    // One metrics entry per round: 15 minibatches an epoch in rounds of 3.
    expect((JSON.parse(await readFile(metrics, 'utf8')) as Metrics).minibatchCost).toHaveLength(10);
  });

  it('refuses bad local-SGD values in one line naming the flag', async () => {
    const train = (...flags: string[]) => runCli(['train', ...SMALL, '--no-progress', ...flags]);
    expectUsageError(await train('--sync-every', '0', '--replicas', '4'), /--sync-every must be an integer in \[1, /);
    expectUsageError(await train('--sync-every', '2.5', '--replicas', '4'), /--sync-every must be an integer/);
    expectUsageError(await train('--replicas', '0'), /--replicas must be an integer in \[1, 256\], got 0/);
    expectUsageError(await train('--sync-every', '4'), /local SGD needs --replicas R/);
    expectUsageError(
      await train('--outer-lr', '0.5'),
      /outer optimizer options are for local SGD - help: add --sync-every/,
    );
    expectUsageError(
      await train('--replicas', '4', '--outer-lr', '0'),
      /--outer-lr must be a finite number > 0, got 0/,
    );
    expectUsageError(
      await train('--replicas', '4', '--outer-momentum', '1'),
      /--outer-momentum must be in \[0, 1\), got 1/,
    );
    expectUsageError(
      await train('--replicas', '4', '--outer-optimizer', 'adam'),
      /--outer-optimizer.*Choices: "nesterov", "sgd"/,
    );
    expectUsageError(
      await train('--replicas', '4', '--optimizer', 'adam', '--lr', '0.001'),
      /local SGD's inner steps are momentum SGD, not adam/,
    );
    expectUsageError(await train('--replicas', '200'), /--replicas is 200, more than the 96 samples of a minibatch/);
    const bad = join(dir, 'bad-local.yaml');
    await writeFile(bad, 'replicas: four\n');
    expectUsageError(
      await runCli(['train', '--config', bad]),
      /bad-local\.yaml: "replicas" must be a number, got "four"/,
    );
  });

  it('counts the bytes per inner step on the coordinator’s links falling by about H', async () => {
    // Two workers; per round the coordinator sends each the weights and receives the 4 replicas'
    // changes (the first round also carries the data set and is left out).
    const perInnerStep = async (flags: readonly string[], innerPerRecord: number, name: string): Promise<number> => {
      const metrics = join(dir, `${name}.json`);
      const c = await startCoordinator([
        ...SMALL,
        ...flags,
        '--local-threads',
        '0',
        '--min-workers',
        '2',
        '--token',
        TOKEN,
        '--metrics',
        metrics,
        '--topology',
        'star',
      ]);
      const workers = [0, 1].map(() => startWorker(c.url, TOKEN, ['--threads', '1', ...cache()]));
      expect(await c.exited, c.stderr()).toBe(0);
      for (const w of workers) expect(await w.exited).toBe(0);
      const doc = JSON.parse(await readFile(metrics, 'utf8')) as Metrics;
      const rest = doc.minibatchTiming.slice(1);
      const bytes = rest.reduce((sum, t) => sum + t.sentBytes + t.receivedBytes, 0);
      return bytes / (rest.length * innerPerRecord);
    };
    const sync = await perInnerStep(['--reproducible', '4'], 1, 'bytes-sync');
    const h1 = await perInnerStep(['--sync-every', '1', '--replicas', '4'], 1, 'bytes-h1');
    const h5 = await perInnerStep(['--sync-every', '5', '--replicas', '4'], 5, 'bytes-h5');
    // 1210 parameters: 4P = 4840 bytes; a round moves 2 weights + 4 changes, about 6·4P with framing.
    expect(h1 / sync).toBeGreaterThan(0.9);
    expect(h1 / sync).toBeLessThan(1.1);
    expect(sync / h5).toBeGreaterThan(4.5);
    expect(sync / h5).toBeLessThan(5.5);
  });
});
