import { describe, expect, it } from 'vitest';
import {
  availableBackends,
  referenceBackend,
  Rng,
  selectBackend,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { InProcessSource, type GradientRequest, type GradientSource, type ShardStats } from '@gradswarm/worker';
import { LocalPool } from '@gradswarm/worker/node';
import { Trainer } from '../src/trainer.js';

const spec: ModelSpec = { layers: [8, 7, 4], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };

function data(count = 53): LabeledSamples {
  const rng = new Rng(3);
  return {
    features: Float32Array.from({ length: count * 8 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(4)),
    count,
    featureCount: 8,
    classCount: 4,
  };
}

/** Wraps a source and records the shard sizes it is asked for. */
class RecordingSource implements GradientSource {
  readonly label = 'rec';
  readonly threads = 1;
  readonly backend = 'reference';
  readonly shards: number[] = [];
  constructor(private readonly inner: GradientSource) {}
  compute(request: GradientRequest): Promise<ShardStats[]> {
    this.shards.push(...request.shards.map((s) => s.count));
    return this.inner.compute(request);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const options = { epochs: 2, batchSize: 10, learningRate: 0.3, seed: 4 };

describe('Trainer', () => {
  describe('options', () => {
    it('refuses no sources, a bad option and batch size together with minibatches', () => {
      const d = data();
      const src = [new InProcessSource({ spec, data: d, backend: referenceBackend })];
      expect(() => new Trainer(spec, d, [], options)).toThrow('sources must hold at least one gradient source');
      expect(() => new Trainer(spec, d, src, { epochs: 0 })).toThrow(
        'options.epochs must be a positive integer, got 0',
      );
      expect(() => new Trainer(spec, d, src, { batchSize: 5, minibatches: 2 })).toThrow(/exclusive/);
      expect(() => new Trainer(spec, d, src, { reproducible: 0 })).toThrow(RangeError);
      expect(() => new Trainer(spec, d, src, { balance: 'fastest' as never })).toThrow(/options.balance/);
    });
  });

  it('gives identical weights for two runs with the same seed', async () => {
    const d = data();
    const run = async () =>
      (await new Trainer(spec, d, [new InProcessSource({ spec, data: d, backend: referenceBackend })], options).run())
        .params;
    expect(bytes(await run())).toEqual(bytes(await run()));
  });

  it('trains to the same bits whether the step update runs in C (sumGradients, finishGradient, sgdStep) or in TypeScript', async () => {
    const d = data();
    const withUpdate = availableBackends()
      .map((name) => selectBackend(name))
      .filter((b) => b.sumGradients && b.finishGradient && b.sgdStep);
    const opts = { ...options, l1: 0.01, l2: 0.02, nesterov: true, momentum: 0.8 };
    const run = async (update: ReturnType<typeof selectBackend> | null) => {
      // Three sources, so every step sums three shard gradients.
      const sources = [0, 1, 2].map(() => new InProcessSource({ spec, data: d, backend: referenceBackend }));
      const result = await new Trainer(spec, d, sources, opts, update).run();
      return { params: bytes(result.params), cost: result.finalCost };
    };
    const typescript = await run(null);
    for (const backend of withUpdate) expect(await run(backend), backend.name).toEqual(typescript);
  });

  it('cuts each minibatch into equal shards, never empty, also when the batch is smaller than the sources', async () => {
    const d = data(23);
    const base = new InProcessSource({ spec, data: d, backend: referenceBackend });
    const sources = [1, 2, 3].map(() => new RecordingSource(base));
    await new Trainer(spec, d, sources, { epochs: 1, batchSize: 10, seed: 1 }).run();
    // 23 samples → batches 10, 10, 3: shards 4+3+3, 4+3+3, 1+1+1
    expect(sources.map((s) => s.shards)).toEqual([
      [4, 4, 1],
      [3, 3, 1],
      [3, 3, 1],
    ]);
    const tiny = [1, 2, 3].map(() => new RecordingSource(base));
    await new Trainer(spec, d, tiny, { epochs: 1, batchSize: 2, seed: 1 }).run();
    // a batch of 2 on 3 sources: the third gets nothing rather than an empty shard
    expect(tiny[2].shards.length).toBe(0);
    expect(tiny[0].shards.every((n) => n === 1)).toBe(true);
  });

  it('hands out virtual shards in reproducible mode and sums them in virtual-shard order', async () => {
    const d = data(20);
    const base = new InProcessSource({ spec, data: d, backend: referenceBackend });
    const sources = [new RecordingSource(base), new RecordingSource(base)];
    await new Trainer(spec, d, sources, { epochs: 1, batchSize: 20, reproducible: 3, seed: 1 }).run();
    expect(sources.map((s) => s.shards)).toEqual([[7, 7], [6]]);
  });

  it('trains a bit-identical model in reproducible mode for 1, 2, 3 and 7 threads', async () => {
    const d = data(61);
    const opts = { ...options, reproducible: 5 };
    const oracle = (
      await new Trainer(spec, d, [new InProcessSource({ spec, data: d, backend: referenceBackend })], opts).run()
    ).params;
    for (const threads of [1, 2, 3, 7]) {
      const pool = new LocalPool({ spec, data: d, backend: 'reference', threads });
      try {
        const params = (await new Trainer(spec, d, pool.lanes, opts).run()).params;
        expect(bytes(params), `${threads} threads`).toEqual(bytes(oracle));
      } finally {
        await pool.close();
      }
    }
  });

  it('agrees across thread counts in default mode to 1e-5 relative on the final cost', async () => {
    const d = data(61);
    const costs: number[] = [];
    for (const threads of [1, 3]) {
      const pool = new LocalPool({ spec, data: d, backend: 'reference', threads });
      try {
        costs.push((await new Trainer(spec, d, pool.lanes, options).run()).finalCost);
      } finally {
        await pool.close();
      }
    }
    expect(Math.abs(costs[0] - costs[1]) / Math.abs(costs[0])).toBeLessThan(1e-5);
  });

  it('fails the run with the error of a source that throws, without hanging', async () => {
    const d = data();
    const failing: GradientSource = {
      label: 'bad',
      threads: 1,
      backend: 'reference',
      compute: () => Promise.reject(new Error('thread 0 failed: out of memory')),
      close: () => Promise.resolve(),
    };
    await expect(new Trainer(spec, d, [failing], options).run()).rejects.toThrow('thread 0 failed: out of memory');
  });

  it('stops after the current step when asked, reporting the run as interrupted', async () => {
    const d = data();
    const trainer = new Trainer(spec, d, [new InProcessSource({ spec, data: d, backend: referenceBackend })], options);
    const result = await trainer.run({
      onStep: (s) => {
        if (s.step === 2) trainer.stop();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.steps).toBe(3);
  });
});
