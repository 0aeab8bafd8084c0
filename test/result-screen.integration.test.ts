/**
 * Authenticated workers that poison the model (issue 16 item 18): one answers every step with a
 * gradient of 1e30 in every entry, another with a zero gradient and a loss sum of 1.7e308 per
 * shard (issue 17: two of them add up to Infinity, and the run used to end with "lower --lr");
 * all finite, so protocol validation lets them through. Next to them a real `gradswarm
 * worker` and one local thread (trusted) compute honestly. The coordinator screens the remote
 * results, recomputes the absurd ones on its own thread, drops both senders with close code
 * 4020 and one logged line each, recomputes their shards within the step, and finishes with a
 * model byte-identical to `gradswarm train` with the same flags (--reproducible 8); the honest
 * worker is never dropped. A second, default-mode run does the same with one shard per source,
 * summed over the honest worker's two threads.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepMessage, WorkerResult } from '@gradswarm/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli, SHARED_DATA_MISSING } from './helpers/cli.js';
import {
  joinAsFake,
  launchCoordinator,
  type Closed,
  type CoordinatorProcess,
  type FakeWorker,
} from './helpers/coordinator.js';
import { killAll, startWorker, type Running } from './helpers/processes.js';

const TOKEN = 'result-screen-integration-token';
/** 64-16-10 on the UCI digits: 1 210 parameters, 30 steps of 8 virtual shards (2 per source). */
const RUN = [
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '16',
  '--epochs',
  '2',
  '--batch-size',
  '100',
  '--seed',
  '3',
  '--reproducible',
  '8',
];

if (NO_DIGITS) console.warn(`skipping result-screen: ${SHARED_DATA_MISSING}`);

/** What a rogue sends for one step: right shape, finite, absurd. */
type Poison = (step: StepMessage, parameterCount: number) => WorkerResult;

const counts = (step: StepMessage): number[] =>
  step.reduce === 'each' ? step.shards.map((s) => s.count) : [step.shards.reduce((a, s) => a + s.count, 0)];

const gradientOf1e30: Poison = (step, P) => ({
  grads: counts(step).map(() => new Float32Array(P).fill(1e30)),
  lossSums: counts(step).map((c) => c * 2.3),
  counts: counts(step),
  computeMs: 1,
});

/** Issue 17's case: finite loss sums of 1.7e308, two of which add up to Infinity. */
const lossOf1e308: Poison = (step, P) => ({
  grads: counts(step).map(() => new Float32Array(P)),
  lossSums: counts(step).map(() => 1.7e308),
  counts: counts(step),
  computeMs: 1,
});

/** Answers every step with `poison` until the coordinator closes the connection; resolves with the close. */
async function serveRogue(fake: FakeWorker, parameterCount: number, poison: Poison): Promise<Closed> {
  try {
    for (;;) {
      const step = await fake.conn.next('step');
      fake.conn.sendResult(step, poison(step, parameterCount));
    }
  } catch {
    return fake.conn.closed;
  }
}

describe.skipIf(NO_DIGITS)('gradswarm coordinator screening the results of authenticated workers', () => {
  let dir: string;
  let reference: Buffer;
  let c: CoordinatorProcess;
  let out: string;
  let worker: Running;
  const rogues: Array<{ fake: FakeWorker; closed: Promise<Closed> }> = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    const ref = join(dir, 'train.json');
    const t = await runCli(['train', ...RUN, '--threads', '1', '--out', ref, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    reference = await readFile(ref);
    out = join(dir, 'screened.json');
    c = await launchCoordinator([...RUN, '--local-threads', '1', '--min-workers', '3', '--token', TOKEN, '--out', out]);
    for (const [label, poison] of [
      ['times-1e30', gradientOf1e30],
      ['loss-1e308', lossOf1e308],
    ] as const) {
      const fake = await joinAsFake(c.url, TOKEN, c.backend, label);
      rogues.push({ fake, closed: serveRogue(fake, c.parameterCount, poison) });
    }
    await c.waitFor(/^worker \d+ \(loss-1e308[^)]*\) joined.*; 2 ready$/m);
    worker = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', join(dir, 'cache'), '--label', 'honest']);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('drops each rogue with close code 4020 and one log line naming the shard, the checker and why', async () => {
    for (const { fake, closed } of rogues) {
      const { code, reason } = await closed;
      expect(code).toBe(4020);
      expect(reason).toMatch(/^thread 0's recomputation of shard \d+ of step 1 disagrees: /);
      const id = fake.welcome.workerId;
      await c.waitFor(new RegExp(`^worker ${id} dropped: `, 'm'));
      const lines = c
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith(`worker ${id} dropped: `));
      expect(lines, c.stderr()).toHaveLength(1);
      expect(lines[0]).toMatch(/thread 0's recomputation of shard \d+ of step 1 disagrees: (loss sum|gradient)/);
    }
    const [times, loss] = rogues.map((r) =>
      c
        .stderr()
        .split('\n')
        .find((l) => l.startsWith(`worker ${r.fake.welcome.workerId} dropped: `)),
    );
    expect(times).toMatch(/gradient norm per sample \S+e\+\d\d is above 1000x the recent median/);
    expect(loss).toMatch(/loss per sample \S+e\+30[67] is above 1000x the recent median/);
  });

  it('finishes the run with the honest worker never dropped, and a model byte-identical to train', async () => {
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await worker.exited, worker.stderr()).toBe(0);
    const [, honest] = c.stderr().match(/^worker (\d+) \(honest[^)]*\) joined/m) ?? [];
    expect(honest, c.stderr()).toBeDefined();
    expect(c.stderr()).not.toMatch(
      new RegExp(`^(refused worker ${honest}:|worker ${honest} (was lost|left|dropped))`, 'm'),
    );
    expect((await readFile(out)).equals(reference)).toBe(true);
  });
});

describe.skipIf(NO_DIGITS)('gradswarm coordinator screening results in default mode', () => {
  let dir: string;
  let c: CoordinatorProcess;
  let worker: Running;
  let rogue: { fake: FakeWorker; closed: Promise<Closed> };
  const DEFAULT_RUN = RUN.slice(0, -2); // without --reproducible

  beforeAll(async () => {
    dir = await makeTempDir();
    c = await launchCoordinator([
      ...DEFAULT_RUN,
      // The star keeps the shard order this test names (the chain puts chained workers first).
      '--topology',
      'star',
      '--local-threads',
      '1',
      '--min-workers',
      '2',
      '--token',
      TOKEN,
      '--out',
      join(dir, 'model.json'),
    ]);
    const fake = await joinAsFake(c.url, TOKEN, c.backend, 'times-1e30');
    rogue = { fake, closed: serveRogue(fake, c.parameterCount, gradientOf1e30) };
    await c.waitFor(/^worker \d+ \(times-1e30[^)]*\) joined.*; 1 ready$/m);
    worker = startWorker(c.url, TOKEN, ['--threads', '2', '--data-cache', join(dir, 'cache'), '--label', 'honest']);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('drops a worker whose summed gradient is 1e30 (close 4020) and finishes with the honest worker never dropped', async () => {
    const { code, reason } = await rogue.closed;
    expect(code).toBe(4020);
    expect(reason).toMatch(/^thread 0's recomputation of shard 2 of step 1 disagrees: /);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await worker.exited, worker.stderr()).toBe(0);
    const [, honest] = c.stderr().match(/^worker (\d+) \(honest[^)]*\) joined/m) ?? [];
    expect(honest, c.stderr()).toBeDefined();
    expect(c.stderr()).not.toMatch(
      new RegExp(`^(refused worker ${honest}:|worker ${honest} (was lost|left|dropped))`, 'm'),
    );
  });
});
