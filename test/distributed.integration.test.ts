/**
 * A coordinator and real worker processes on 127.0.0.1 (issue: coordinator and remote
 * WebSocket workers): the same accuracy as `train`, byte-identical models in reproducible mode
 * whatever the number of workers, a worker killed mid-run, a worker joining mid-run, and a
 * coordinator stopped and resumed.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, lastJsonLine, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';
import { killAll, startCoordinator, startWorker } from './helpers/processes.js';

const TOKEN = 'integration-token';
/** Small and fast: the UCI digits. */
const SMALL = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'];
/** Slow enough steps (784-512-10 on the embedded MNIST) to act while the run is going. */
const SLOW = ['--dataset', 'mnist', '--layers', '512', '--epochs', '3', '--batch-size', '100', '--seed', '5'];

async function status(
  url: string,
): Promise<{ step: number; state: string; workers: Array<{ id: number; state: string }> }> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/status`);
  return (await res.json()) as never;
}

/** Polls /status until the coordinator has finished `step` steps. */
async function untilStep(url: string, step: number): Promise<void> {
  for (;;) {
    const s = await status(url);
    if (s.step >= step) return;
    if (s.state === 'finished') throw new Error(`the run finished before step ${step}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gradswarm coordinator with workers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => killAll());
  afterAll(async () => removeTempDir(dir));

  it('trains MNIST with two worker processes to the accuracy of train (±0.5 points)', async () => {
    const flags = ['--dataset', 'mnist', '--layers', '32', '--epochs', '2', '--batch-size', '100', '--json'];
    const single = await runCli(['train', ...flags, '--threads', '2', '--no-progress']);
    expect(single.code, single.stderr).toBe(0);
    const c = await startCoordinator([...flags, '--local-threads', '0', '--min-workers', '2', '--token', TOKEN]);
    const workers = [1, 2].map((i) =>
      startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache'), '--label', `w${i}`]),
    );
    expect(await c.exited, c.stderr()).toBe(0);
    for (const w of workers) expect(await w.exited, w.stderr()).toBe(0);
    const a = lastJsonLine<{ testAccuracy: number }>(single.stdout).testAccuracy;
    const b = lastJsonLine<{ testAccuracy: number; workers: number }>(c.stdout());
    expect(b.workers).toBe(2);
    expect(Math.abs(a - b.testAccuracy)).toBeLessThanOrEqual(0.005);
    expect(workers[0].stderr() + workers[1].stderr()).toMatch(/the run is finished/);
  });

  it.skipIf(NO_DIGITS)(
    'writes a model byte-identical to train --reproducible with 1, 2 and 3 workers and no local threads',
    async () => {
      const reference = join(dir, 'ref.json');
      const t = await runCli([
        'train',
        ...SMALL,
        '--reproducible',
        '6',
        '--threads',
        '1',
        '--out',
        reference,
        '--no-progress',
      ]);
      expect(t.code, t.stderr).toBe(0);
      const expected = await readFile(reference);
      for (const count of [1, 2, 3]) {
        const out = join(dir, `rep-${count}.json`);
        const c = await startCoordinator([
          ...SMALL,
          '--reproducible',
          '6',
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
          startWorker(c.url, TOKEN, ['--threads', String(1 + (i % 2)), '--data-cache', join(dir, 'cache')]),
        );
        expect(await c.exited, c.stderr()).toBe(0);
        await Promise.all(workers.map((w) => w.exited));
        expect((await readFile(out)).equals(expected), `${count} workers`).toBe(true);
      }
    },
  );

  it('completes a reproducible run with a worker SIGKILLed mid-run, byte-identical to an undisturbed one', async () => {
    const reference = join(dir, 'kill-ref.json');
    const t = await runCli([
      'train',
      ...SLOW,
      '--reproducible',
      '4',
      '--threads',
      '1',
      '--out',
      reference,
      '--no-progress',
    ]);
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'kill.json');
    const c = await startCoordinator([
      ...SLOW,
      '--reproducible',
      '4',
      '--local-threads',
      '0',
      '--min-workers',
      '2',
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const victim = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache')]);
    const survivor = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache')]);
    await untilStep(c.url, 10);
    victim.child.kill('SIGKILL');
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await survivor.exited).toBe(0);
    expect(c.stderr()).toMatch(/worker \d (was lost|left|dropped)/);
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });

  it('gives a worker that joins during step k shards from step k+1 on', async () => {
    const metrics = join(dir, 'join-metrics.json');
    const c = await startCoordinator([
      ...SLOW,
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
      '--metrics',
      metrics,
    ]);
    const first = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache'), '--label', 'first']);
    await untilStep(c.url, 20);
    const late = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache'), '--label', 'late']);
    const [, fromStep] = await c.waitFor(/worker 2 \(late[^)]*\) joined; takes shards from step (\d+)/);
    expect(await c.exited, c.stderr()).toBe(0);
    await Promise.all([first.exited, late.exited]);
    const doc = JSON.parse(await readFile(metrics, 'utf8')) as { minibatchParticipants: string[][] };
    const firstWith = doc.minibatchParticipants.findIndex((p) => p.includes('worker 2'));
    expect(Number(fromStep)).toBeGreaterThan(20);
    expect(firstWith + 1).toBe(Number(fromStep));
    // From then on both workers take part.
    expect(doc.minibatchParticipants.at(-1)).toEqual(['worker 1', 'worker 2']);
  });

  it('resumes after SIGTERM at the exact step, to a model byte-identical to an uninterrupted run', async () => {
    const reference = join(dir, 'resume-ref.json');
    const t = await runCli([
      'train',
      ...SLOW,
      '--reproducible',
      '4',
      '--threads',
      '1',
      '--out',
      reference,
      '--no-progress',
    ]);
    expect(t.code, t.stderr).toBe(0);
    const ckpt = join(dir, 'ckpt');
    const out = join(dir, 'resumed.json');
    const common = [
      ...SLOW,
      '--reproducible',
      '4',
      '--local-threads',
      '1',
      '--min-workers',
      '0',
      '--token',
      TOKEN,
      '--checkpoint',
      ckpt,
      '--out',
      out,
    ];
    const c = await startCoordinator(common);
    await untilStep(c.url, 10);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(130);
    expect(c.stderr()).toMatch(/checkpoint at step \d+ written/);
    expect(existsSync(join(ckpt, 'checkpoint.json'))).toBe(true);
    const r = await startCoordinator([...common, '--resume']);
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stderr()).toMatch(/resuming at epoch \d+, step \d+/);
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });

  it('refuses --resume without --checkpoint and a checkpoint of another model', async () => {
    const r1 = await runCli(['coordinator', ...SMALL, '--resume']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--resume needs --checkpoint DIR/);
    const ckpt = join(dir, 'other-ckpt');
    const a = await runCli([
      'train',
      ...SMALL,
      '--epochs',
      '1',
      '--checkpoint',
      ckpt,
      '--checkpoint-every',
      '5',
      '--no-progress',
    ]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['train', ...SMALL, '--layers', '20', '--checkpoint', ckpt, '--resume', '--no-progress']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^gradswarm: error: the checkpoint is of model 64-16-10/m);
  });
});
