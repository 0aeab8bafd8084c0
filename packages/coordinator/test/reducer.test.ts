import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type GradientStats, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource } from '@gradswarm/worker';
import { reduceStats, StarReducer, type ReductionInput, type Reducer } from '../src/reducer.js';
import { Trainer } from '../src/trainer.js';

describe('reduceStats', () => {
  it('sums loss and count in shard order, so float rounding does not depend on arrival order', () => {
    // (1e17 + 1 + −1e17) differs from (1e17 + −1e17 + 1) in float64: order is observable.
    const parts = [
      { lossSum: 1e17, count: 1 },
      { lossSum: 1, count: 2 },
      { lossSum: -1e17, count: 3 },
    ];
    expect(reduceStats(parts)).toEqual({ lossSum: 0, count: 6 });
    expect(reduceStats([parts[0], parts[2], parts[1]])).toEqual({ lossSum: 1, count: 6 });
  });
});

describe('StarReducer', () => {
  it('sums the shard gradients into the total in shard order, in place when the total is the first', async () => {
    // (1e8 + 1 + −1e8) differs from (1e8 + −1e8 + 1) in float32: order is observable.
    const grads = [Float32Array.of(1e8), Float32Array.of(1), Float32Array.of(-1e8)];
    const stats = grads.map(() => ({ lossSum: 1, count: 1 }));
    const total = new Float32Array(1);
    expect(await new StarReducer().reduce({ step: 0, grads, stats, total })).toEqual({ lossSum: 3, count: 3 });
    expect(total[0]).toBe(0);
    await new StarReducer().reduce({ step: 0, grads: [grads[0], grads[2], grads[1]], stats, total: grads[0] });
    expect(grads[0][0]).toBe(1);
  });
});

describe('Trainer with a Reducer', () => {
  const spec: ModelSpec = { layers: [4, 3, 2], hidden: 'tanh', output: 'softmax', loss: 'ce' };
  const rng = new Rng(6);
  const data: LabeledSamples = {
    features: Float32Array.from({ length: 24 * 4 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: 24 }, () => rng.nextInt(2)),
    count: 24,
    featureCount: 4,
    classCount: 2,
  };
  const options = { epochs: 2, batchSize: 8, learningRate: 0.1, reproducible: 3, seed: 5 };
  const sources = () => [0, 1].map(() => new InProcessSource({ spec, data, backend: referenceBackend }));

  /** Reduces as the star does, but as a reducer whose total comes from elsewhere would: it copies a total it computed itself. */
  class RecordingReducer implements Reducer {
    readonly name = 'recording';
    readonly readyCalls: Array<[number, number, number]> = [];
    readonly readyAtReduce: number[] = [];
    ready(shard: number, from: number, to: number): void {
      this.readyCalls.push([shard, from, to]);
    }
    async reduce(input: ReductionInput): Promise<GradientStats> {
      this.readyAtReduce.push(this.readyCalls.length);
      const elsewhere = new Float32Array(input.total.length);
      const stats = await new StarReducer().reduce({ ...input, total: elsewhere });
      input.total.set(elsewhere);
      return stats;
    }
  }

  it('trains to the same bits with any reducer that writes the same total, and forwards every shard as ready before reducing', async () => {
    const star = (await new Trainer(spec, data, sources(), options).run()).params;
    const reducer = new RecordingReducer();
    const params = (await new Trainer(spec, data, sources(), options, null, reducer).run()).params;
    expect(Buffer.from(params.buffer)).toEqual(Buffer.from(star.buffer));
    const P = params.length;
    // 6 steps of 3 virtual shards: each shard reported whole, all three before the step's reduce.
    expect(
      reducer.readyCalls
        .slice(0, 3)
        .map(([s]) => s)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(reducer.readyCalls.every(([, from, to]) => from === 0 && to === P)).toBe(true);
    expect(reducer.readyAtReduce).toEqual([3, 6, 9, 12, 15, 18]);
  });
});
