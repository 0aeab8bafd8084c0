import { afterEach, describe, expect, it } from 'vitest';
import { Rng, selectBackend, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { Coordinator, type TrainingOptions } from '@gradswarm/coordinator';
import { fingerprint } from '@gradswarm/data';
import { WorkerClient } from '@gradswarm/worker/node';
import { ResultEncoder, SyntheticClient, SYNTHETIC_LOSS_PER_SAMPLE } from '../src/synthetic-client.js';

const spec: ModelSpec = { layers: [8, 6, 4], hidden: 'relu', output: 'softmax', loss: 'ce' };
const TOKEN = 'synthetic-client-test-token';

function data(count = 40): LabeledSamples {
  const rng = new Rng(7);
  return {
    features: Float32Array.from({ length: count * 8 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(4)),
    count,
    featureCount: 8,
    classCount: 4,
  };
}

let coordinator: Coordinator | null = null;
/** Ends the run for the workers ('finished') and stops listening. */
async function closeCoordinator(): Promise<void> {
  const c = coordinator;
  coordinator = null;
  await c?.close('finished');
}
afterEach(closeCoordinator);

/** A real coordinator (no local threads) on a free loopback port, its log kept. */
async function startCoordinator(training: TrainingOptions) {
  const samples = data();
  const lines: string[] = [];
  const backend = selectBackend().name;
  coordinator = new Coordinator({
    spec,
    data: samples,
    dataFingerprint: fingerprint(samples),
    dataName: 'test',
    training: { batchSize: 10, balance: 'equal', ...training },
    local: [],
    backend,
    network: { host: '127.0.0.1', port: 0, token: TOKEN, stepTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    log: (line) => lines.push(line),
  });
  const url = (await coordinator.start())!;
  return { url, lines, backend, coordinator };
}

describe('SyntheticClient', () => {
  it('joins and serves steps as a real worker does; next to one, its zero gradients are cross-checked but nobody is dropped', async () => {
    const { url, lines, backend, coordinator: c } = await startCoordinator({ epochs: 100, maxSteps: 4 });
    const real = new WorkerClient({
      url,
      token: TOKEN,
      threads: 1,
      label: 'real-worker',
      log: () => undefined,
      giveUpAfterMs: 5_000,
      // Both served by the star: a step with chain shards is not screened shard by shard (architecture §8).
      peerPort: null,
    });
    const realRun = real.run();
    await c.waitForWorkers(1);
    const synthetic = new SyntheticClient({ url, token: TOKEN, label: 'synthetic', backend });
    const syntheticRun = synthetic.run();
    await c.waitForWorkers(2);
    const participants: string[][] = [];
    const result = await c.run({ onStep: (info) => void participants.push([...info.participants]) });
    await closeCoordinator();
    const [realExit, syntheticExit] = await Promise.all([realRun, syntheticRun]);

    expect(result.steps).toBe(4);
    expect(Number.isFinite(result.finalCost)).toBe(true);
    const joined = lines.filter((l) => / joined/.test(l));
    expect(joined).toEqual([
      `worker 1 (real-worker, 1 thread, ${backend}) joined; takes shards from step 1; 1 ready`,
      `worker 2 (synthetic, 1 thread, ${backend}) joined; takes shards from step 1; 2 ready`,
    ]);
    expect(lines.filter((l) => /refused|dropped|was lost/.test(l))).toEqual([]);
    expect(participants).toEqual(new Array(4).fill(['worker 1', 'worker 2']));
    // The result screen (coordinator's result-check.ts) finds the real gradient and the zero one
    // 1000x apart every step, so each result is recomputed by the other worker: 4 steps and 4
    // checks each. One untrusted word against another settles nothing, so both are accepted.
    const checks = lines.filter((l) => / disagreed but no third source settled it; accepted unchecked$/.test(l));
    expect(checks).toHaveLength(8);
    expect(syntheticExit).toMatchObject({ reason: 'finished', steps: 8, workerId: 2 });
    expect(realExit).toMatchObject({ reason: 'finished', steps: 8 });
  });

  it('answers reproducible mode’s one-gradient-per-shard steps with results the coordinator accepts', async () => {
    const {
      url,
      lines,
      backend,
      coordinator: c,
    } = await startCoordinator({ epochs: 100, maxSteps: 3, reproducible: 5 });
    const results = new ResultEncoder();
    const clients = [1, 2, 3].map(() => new SyntheticClient({ url, token: TOKEN, backend, results }));
    const runs = clients.map((s) => s.run());
    await c.waitForWorkers(3);
    const result = await c.run();
    await closeCoordinator();
    const exits = await Promise.all(runs);
    expect(result.steps).toBe(3);
    expect(lines.filter((l) => / joined/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /refused|dropped|was lost/.test(l))).toEqual([]);
    expect(exits.map((e) => e.reason)).toEqual(['finished', 'finished', 'finished']);
    // Zero gradients: only L2 and momentum move the weights; the loss is what the clients claim.
    expect(result.finalCost).toBeGreaterThanOrEqual(SYNTHETIC_LOSS_PER_SAMPLE);
  });

  it('is refused with a wrong token and reports it', async () => {
    const { url } = await startCoordinator({ epochs: 1 });
    const exit = await new SyntheticClient({ url, token: 'not-the-token' }).run();
    expect(exit.reason).toBe('refused');
    expect(exit.message).toMatch(/GS_ERR_AUTH/);
  });
});

describe('ResultEncoder', () => {
  it('builds a result once per step and shape, shared by every client (each signs its own copy)', () => {
    const enc = new ResultEncoder();
    const step = {
      t: 'step',
      step: 3,
      version: 2,
      epoch: 0,
      batch: 2,
      shards: [
        { offset: 0, count: 4 },
        { offset: 4, count: 3 },
      ],
      reduce: 'each',
    } as const;
    const a = enc.fields(step, 10);
    expect(a).toMatchObject({
      counts: [4, 3],
      lossSums: [4 * SYNTHETIC_LOSS_PER_SAMPLE, 3 * SYNTHETIC_LOSS_PER_SAMPLE],
      computeMs: 0,
    });
    expect(a.grads.map((g) => g.byteLength)).toEqual([40, 40]);
    expect(enc.fields({ ...step }, 10)).toBe(a);
    expect(enc.fields({ ...step, reduce: 'sum' }, 10)).not.toBe(a);
  });
});
