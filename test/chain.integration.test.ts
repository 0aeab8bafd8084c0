/**
 * The chain reduction with real worker processes on 127.0.0.1 (issue 11, architecture §8): models
 * byte-identical to single-node `train --reproducible` for chains of 4 and for a chain next to a
 * `--no-listen` worker that the star serves, and the bytes per step counted: a worker's chain
 * traffic and the coordinator's do not grow with the number of workers. (Chains of 1-3 workers,
 * a worker SIGKILLed mid-run and one joining mid-run are in distributed.integration.test.ts,
 * whose coordinators use the default topology, the chain.) With a 64-512-10 model the chain
 * overlaps (DESIGN §8): three chunks, the first layer in 4 blocks of 128 units, so the first chunk
 * of sums leaves while the threads compute the rest of ∂W_1, and the threads start the forward
 * pass on W_1's first rows before the others are in; the bits must stay.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';
import { killAll, startCoordinator, startWorker } from './helpers/processes.js';

const TOKEN = 'chain-integration-token';
const SMALL = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'];
// P = 64·512 + 512 + 512·10 + 10 = 38410 floats: three chunks of 16 Ki floats.
const WIDE = ['--dataset', DIGITS_SPEC, '--layers', '512', '--epochs', '1', '--batch-size', '200', '--seed', '5'];

/** Trains with `count` workers (extra flags per worker) and no local threads; returns the model bytes and logs. */
async function coordinatorRun(
  dir: string,
  name: string,
  flags: readonly string[],
  workerFlags: ReadonlyArray<readonly string[]>,
): Promise<{
  model: Buffer;
  log: string;
  workerLogs: string[];
  metrics: { minibatchTiming: Array<{ sentBytes: number; receivedBytes: number }> };
}> {
  const out = join(dir, `${name}.json`);
  const metrics = join(dir, `${name}-metrics.json`);
  const c = await startCoordinator([
    ...flags,
    '--local-threads',
    '0',
    '--min-workers',
    String(workerFlags.length),
    '--token',
    TOKEN,
    '--out',
    out,
    '--metrics',
    metrics,
  ]);
  const workers = workerFlags.map((extra) =>
    startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache'), ...extra]),
  );
  expect(await c.exited, c.stderr()).toBe(0);
  for (const w of workers) expect(await w.exited, w.stderr()).toBe(0);
  return {
    model: await readFile(out),
    log: c.stderr(),
    workerLogs: workers.map((w) => w.stderr()),
    metrics: JSON.parse(await readFile(metrics, 'utf8')),
  };
}

describe.skipIf(NO_DIGITS)('chain reduction', () => {
  let dir: string;
  let reference: Buffer;
  beforeAll(async () => {
    dir = await makeTempDir();
    const out = join(dir, 'ref.json');
    const t = await runCli(['train', ...SMALL, '--reproducible', '6', '--threads', '1', '--out', out, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    reference = await readFile(out);
  });
  afterEach(() => killAll());
  afterAll(async () => removeTempDir(dir));

  it('trains a model byte-identical to train --reproducible 6 on a chain of 4 workers', async () => {
    const r = await coordinatorRun(dir, 'chain4', [...SMALL, '--reproducible', '6'], [[], [], [], []]);
    expect(r.log).toMatch(/chain: worker \d → worker \d → worker \d → worker \d → coordinator/);
    expect(r.model.equals(reference)).toBe(true);
  });

  it('overlaps compute and the chain on a 64-512-10 model, byte-identical to train --reproducible 6 for chains of 2 and 4', async () => {
    const out = join(dir, 'wide-ref.json');
    const t = await runCli(['train', ...WIDE, '--reproducible', '6', '--threads', '1', '--out', out, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const wide = await readFile(out);
    for (const count of [2, 4]) {
      const r = await coordinatorRun(dir, `wide${count}`, [...WIDE, '--reproducible', '6'], Array(count).fill([]));
      expect(r.log).toMatch(
        count === 2 ? /chain: worker \d → worker \d → coordinator/ : /chain: (worker \d → ){4}coordinator/,
      );
      expect(r.model.equals(wide), `chain of ${count}`).toBe(true);
    }
  });

  it('streams the one summed gradient of a default-mode chain worker: the same bits as train on one thread', async () => {
    const out = join(dir, 'wide-default.json');
    const t = await runCli(['train', ...WIDE, '--threads', '1', '--out', out, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const r = await coordinatorRun(dir, 'wide-sum', WIDE, [[]]);
    expect(r.log).toMatch(/chain: worker \d → coordinator/);
    expect(r.model.equals(await readFile(out))).toBe(true);
  });

  it('serves a --no-listen worker by the star next to a chain of two, byte-identical', async () => {
    const r = await coordinatorRun(dir, 'mixed', [...SMALL, '--reproducible', '6'], [[], ['--no-listen'], []]);
    expect(r.log).toMatch(/chain: worker \d → worker \d → coordinator/);
    expect(r.log).not.toMatch(/chain: worker \d → worker \d → worker \d/);
    expect(r.workerLogs[1]).not.toMatch(/on the chain/);
    expect(r.model.equals(reference)).toBe(true);
  });

  it('moves a worker its predecessor cannot reach to the star, without dropping it, byte-identical', async () => {
    // Both advertise a host that does not resolve; only a worker with a predecessor is ever
    // dialled, so one of them (whichever is second) is found unreachable and moved to the star.
    const unreachable = ['--advertise-host', 'peer.invalid'];
    const r = await coordinatorRun(dir, 'unreachable', [...SMALL, '--reproducible', '6'], [unreachable, unreachable]);
    expect(
      r.log.match(/cannot be reached by its chain peers .*ENOTFOUND.*: the star serves it from now on/g),
    ).toHaveLength(1);
    expect(r.log).toMatch(/^chain: worker \d → coordinator$/m);
    expect(r.log).not.toMatch(/dropped|lost/);
    expect(r.model.equals(reference)).toBe(true);
  });

  it('--topology star reduces at the coordinator, with the same bits', async () => {
    const r = await coordinatorRun(dir, 'star', [...SMALL, '--reproducible', '6', '--topology', 'star'], [[], []]);
    expect(r.log).not.toMatch(/chain:/);
    expect(r.model.equals(reference)).toBe(true);
  });

  it('moves about 2·4P bytes per worker per step whatever W, and 4P each way at the coordinator', async () => {
    // 64-16-10: P = 64·16 + 16 + 16·10 + 10 = 1210 floats, 4P = 4840 bytes, one chunk frame of 4888
    // (32 bytes of header, the floats, a 16-byte GMAC).
    const P = 1210;
    const frame = 32 + 4 * P + 16;
    const perWorker = async (count: number) => {
      const r = await coordinatorRun(dir, `bytes${count}`, [...SMALL, '--reproducible', '6'], Array(count).fill([]));
      const sent = r.workerLogs.map((l) => Number(/(\d+) bytes sent/.exec(l)?.[1]));
      const steps = r.metrics.minibatchTiming.slice(1); // the first step also carries the joins
      const coordinatorIn = steps.reduce((n, s) => n + s.receivedBytes, 0) / steps.length;
      const coordinatorOut = steps.reduce((n, s) => n + s.sentBytes, 0) / steps.length;
      return { sent, coordinatorIn, coordinatorOut };
    };
    const two = await perWorker(2);
    const four = await perWorker(4);
    for (const { sent } of [two, four]) {
      expect(sent.every((b) => Number.isFinite(b))).toBe(true);
      // The head sends its sums only; every other worker its sums and the weights for its predecessor.
      expect(Math.min(...sent)).toBeGreaterThanOrEqual(frame * 0.99);
      expect(Math.max(...sent)).toBeLessThanOrEqual(2 * frame * 1.01);
    }
    expect(Math.max(...four.sent)).toBeLessThanOrEqual(Math.max(...two.sent) * 1.01);
    // The coordinator: one frame of weights out, one of sums in, and per worker a step message and its statistics.
    for (const c of [two, four]) {
      expect(c.coordinatorOut).toBeGreaterThanOrEqual(frame);
      expect(c.coordinatorIn).toBeGreaterThanOrEqual(frame);
    }
    expect(four.coordinatorOut - two.coordinatorOut).toBeLessThan(0.25 * frame);
    expect(four.coordinatorIn - two.coordinatorIn).toBeLessThan(0.25 * frame);
  });
});
