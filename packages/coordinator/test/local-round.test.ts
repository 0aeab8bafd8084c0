import { describe, expect, it } from 'vitest';
import {
  createReplicaScratch,
  learningRateAt,
  parameterCount,
  referenceBackend,
  replicaRound,
  Rng,
  sumGradients,
  type LabeledSamples,
  type LocalRoundPlan,
  type ModelSpec,
} from '@gradswarm/core';
import { InProcessSource } from '@gradswarm/worker';
import { Trainer } from '../src/trainer.js';
import { resolveLocalSgd } from '../src/local-sgd-options.js';
import { roundSteps } from '../src/local-round.js';

const spec: ModelSpec = { layers: [6, 5, 3], hidden: 'relu', output: 'softmax', loss: 'ce' };
const R = 4;
const H = 3;
/** 12 samples a minibatch: 3 per replica. */
const B = 12;

function data(count: number, seed = 7): LabeledSamples {
  const rng = new Rng(seed);
  return {
    features: Float32Array.from({ length: count * 6 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 6,
    classCount: 3,
  };
}

/** Rows `rows` of `d`, in that order. */
function subset(d: LabeledSamples, rows: readonly number[]): LabeledSamples {
  const f = d.featureCount;
  return {
    features: Float32Array.from(rows.flatMap((i) => [...d.features.subarray(i * f, (i + 1) * f)])),
    labels: Int32Array.from(rows.map((i) => d.labels[i])),
    count: rows.length,
    featureCount: f,
    classCount: d.classCount,
  };
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
// Per-step decay, momentum, Nesterov and L2: every part of the inner step is exercised.
const inner = {
  learningRate: 0.2,
  momentum: 0.8,
  nesterov: true,
  l2: 0.05,
  decay: 0.3,
  decayUnit: 'step' as const,
  shuffle: false,
  seed: 2,
};
const identity = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

function planOf(learningRates: readonly number[]): LocalRoundPlan {
  return {
    replicas: R,
    steps: Array.from({ length: H }, (_, h) => ({ offset: h * B, count: B })),
    learningRates,
    momentum: inner.momentum,
    nesterov: inner.nesterov,
    cost: { l1: 0, l2: inner.l2, reduction: 'mean' },
  };
}

describe('replicaRound', () => {
  it('ends where a one-source trainer ends after the same H steps on the replica’s shares', async () => {
    const d = data(H * B);
    const P = parameterCount(spec.layers);
    for (let r = 0; r < R; r++) {
      // The trainer sees replica r's shares of the H minibatches, one minibatch of B/R each.
      const rows = Array.from({ length: H }, (_, h) =>
        Array.from({ length: B / R }, (_, k) => h * B + r * (B / R) + k),
      );
      const mine = subset(d, rows.flat());
      const trainer = new Trainer(spec, mine, [new InProcessSource({ spec, data: mine, backend: referenceBackend })], {
        ...inner,
        epochs: 1,
        batchSize: B / R,
      });
      const start = trainer.params.slice();
      await trainer.run();
      const lrs = Array.from({ length: H }, (_, h) =>
        learningRateAt({ learningRate: 0.2, decay: 0.3, decayUnit: 'step', decayKind: 'inverse' }, 0, h),
      );
      const delta = new Float32Array(P);
      const stats = replicaRound(
        referenceBackend,
        spec.layers,
        start,
        d,
        identity(d.count),
        planOf(lrs),
        r,
        delta,
        createReplicaScratch(spec, P, 64),
      );
      expect(stats.count).toBe(H * (B / R));
      const expected = start.map((w, i) => w - trainer.params[i]);
      expect(bytes(delta).equals(bytes(expected)), `replica ${r}`).toBe(true);
    }
  });
});

describe('Trainer.localRound', () => {
  it('takes the outer step on the replicas’ changes summed in replica order (sgd, η 1: their average)', async () => {
    const d = data(H * B);
    const P = parameterCount(spec.layers);
    const localSgd = { syncEvery: H, replicas: R, outerOptimizer: 'sgd' as const };
    const options = { ...inner, epochs: 1, batchSize: B, localSgd };
    const trainer = new Trainer(spec, d, [new InProcessSource({ spec, data: d, backend: referenceBackend })], options);
    const start = trainer.params.slice();
    let rounds = 0;
    const result = await trainer.run({ onStep: () => void rounds++ });
    expect(rounds).toBe(1);
    expect(result.steps).toBe(H);
    expect(result.samplesSeen).toBe(H * B);
    const lrs = Array.from({ length: H }, (_, h) =>
      learningRateAt({ learningRate: 0.2, decay: 0.3, decayUnit: 'step', decayKind: 'inverse' }, 0, h),
    );
    const deltas = Array.from({ length: R }, (_, r) => {
      const delta = new Float32Array(P);
      replicaRound(referenceBackend, spec.layers, start, d, identity(d.count), planOf(lrs), r, delta, {
        ...createReplicaScratch(spec, P, 1024),
      });
      return delta;
    });
    const sum = new Float32Array(P);
    sumGradients(deltas, sum);
    const expected = start.map((w, i) => w - Math.fround(sum[i] / R));
    expect(bytes(trainer.params).equals(bytes(expected))).toBe(true);
  });

  it('gives the same model whatever the number of sources hosting the replicas', async () => {
    const d = data(5 * B + 7, 11);
    const run = async (sources: number): Promise<Buffer> => {
      const list = Array.from(
        { length: sources },
        () => new InProcessSource({ spec, data: d, backend: referenceBackend }),
      );
      const t = new Trainer(spec, d, list, {
        ...inner,
        shuffle: true,
        epochs: 2,
        batchSize: B,
        // 6 minibatches an epoch in rounds of 4: the second round crosses the epoch's end.
        localSgd: { syncEvery: 4, replicas: R },
      });
      await t.run();
      return bytes(t.params);
    };
    const one = await run(1);
    for (const n of [2, 3, 4]) expect((await run(n)).equals(one), `${n} sources`).toBe(true);
  });
});

describe('rounds across epoch ends', () => {
  it('plans H minibatches in the run’s order, across epochs, stopping at the last epoch or maxSteps', () => {
    const at = (epoch: number, batch: number) => ({ epoch, batch });
    expect(roundSteps({ ...at(0, 4), step: 4 }, 4, 6, 2)).toEqual([at(0, 4), at(0, 5), at(1, 0), at(1, 1)]);
    expect(roundSteps({ ...at(1, 4), step: 10 }, 4, 6, 2)).toEqual([at(1, 4), at(1, 5)]);
    expect(roundSteps({ ...at(0, 1), step: 1 }, 5, 2, 9)).toEqual([at(0, 1), at(1, 0), at(1, 1), at(2, 0), at(2, 1)]);
    expect(roundSteps({ ...at(0, 2), step: 2 }, 4, 6, 2, 5)).toEqual([at(0, 2), at(0, 3), at(0, 4)]);
  });

  it('with one replica, plain averaging and no momentum, is the synchronous run (the next epoch’s order as train has it)', async () => {
    // One replica, η 1, μ 0 and no inner momentum: a round is H plain SGD steps, the outer step
    // start − (start − end) = end up to float rounding; a wrong order in the next epoch moves it far.
    const d = data(3 * B + 5, 13);
    const base = { ...inner, momentum: 0, nesterov: false, shuffle: true, epochs: 3, batchSize: B };
    const source = () => [new InProcessSource({ spec, data: d, backend: referenceBackend })];
    const sync = new Trainer(spec, d, source(), base);
    await sync.run();
    const epochs: number[] = [];
    const local = new Trainer(spec, d, source(), {
      ...base,
      localSgd: { syncEvery: 3, replicas: 1, outerOptimizer: 'sgd' },
    });
    const rounds: number[] = [];
    const result = await local.run({
      onStep: (i) => void rounds.push(i.step),
      onEpoch: (i) => void epochs.push(i.epoch),
    });
    // 4 minibatches an epoch, 12 steps in rounds of 3: every epoch's end but the last is inside a round.
    expect(rounds).toEqual([2, 5, 8, 11]);
    expect(epochs).toEqual([0, 1, 2]);
    expect(result.steps).toBe(12);
    expect(result.samplesSeen).toBe(3 * d.count);
    let worst = 0;
    for (let i = 0; i < sync.params.length; i++) worst = Math.max(worst, Math.abs(sync.params[i] - local.params[i]));
    expect(worst).toBeLessThan(1e-5);
    // The tolerance tells orders apart: the same run unshuffled ends far from it.
    const frozen = new Trainer(spec, d, source(), { ...base, shuffle: false });
    await frozen.run();
    let apart = 0;
    for (let i = 0; i < sync.params.length; i++) apart = Math.max(apart, Math.abs(sync.params[i] - frozen.params[i]));
    expect(apart).toBeGreaterThan(100 * worst);
  });
});

describe('resolveLocalSgd', () => {
  it('is the synchronous step without options, and fills the outer defaults per optimizer', () => {
    expect(resolveLocalSgd(undefined, 'sgd')).toBeUndefined();
    expect(resolveLocalSgd({ syncEvery: 1 }, 'sgd')).toBeUndefined();
    expect(resolveLocalSgd({ syncEvery: 8, replicas: 4 }, 'sgd')).toEqual({
      syncEvery: 8,
      replicas: 4,
      outerOptimizer: 'nesterov',
      outerLearningRate: 0.7,
      outerMomentum: 0.9,
    });
    expect(resolveLocalSgd({ replicas: 2, outerOptimizer: 'sgd' }, 'sgd')).toMatchObject({
      syncEvery: 1,
      outerLearningRate: 1,
      outerMomentum: 0,
    });
    expect(() => resolveLocalSgd({ syncEvery: 4 }, 'sgd')).toThrow('local SGD needs options.replicas R');
    expect(() => resolveLocalSgd({ replicas: 2 }, 'adam')).toThrow(/inner steps are momentum SGD, not adam/);
  });
});
