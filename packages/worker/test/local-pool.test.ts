import { afterEach, describe, expect, it } from 'vitest';
import {
  initializeParameters,
  parameterCount,
  referenceBackend,
  Rng,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { InProcessSource } from '../src/in-process-source.js';
import { computeShard } from '../src/shard-compute.js';
import { LocalPool } from '../src/local-pool.js';

const spec: ModelSpec = { layers: [6, 5, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };

function randomData(count: number): LabeledSamples {
  const rng = new Rng(11);
  return {
    features: Float32Array.from({ length: count * 6 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 6,
    classCount: 3,
  };
}

function weights(): Float32Array {
  const w = new Float32Array(parameterCount(spec.layers));
  initializeParameters(spec.layers, 'glorot', new Rng(5), w);
  return w;
}

describe('LocalPool', () => {
  let pool: LocalPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  describe('options', () => {
    it('refuses a thread count that is not a positive integer', () => {
      expect(() => new LocalPool({ spec, data: randomData(4), backend: 'reference', threads: 0 })).toThrow(
        'options.threads must be an integer in [1, 256], got 0',
      );
      expect(() => new LocalPool({ spec, data: randomData(4), backend: 'reference', threads: 1.5 })).toThrow(
        RangeError,
      );
    });
  });

  it('computes on every lane exactly the gradient the in-process source computes', async () => {
    const data = randomData(40);
    pool = new LocalPool({ spec, data, backend: 'reference', threads: 3 });
    const oracle = new InProcessSource({ spec, data, backend: referenceBackend });
    const order = new Rng(2).permutation(40);
    const task = { weightsVersion: 0, weights: weights(), epoch: 0, batch: 0, order, offset: 7, count: 20 };
    const expected = new Float32Array(weights().length);
    const expectedStats = await computeShard(oracle, task, expected);
    for (const lane of pool.lanes) {
      const got = new Float32Array(expected.length);
      const stats = await computeShard(lane, task, got);
      expect({ lossSum: stats.lossSum, count: stats.count }).toEqual(expectedStats);
      expect(stats.computeMs).toBeGreaterThanOrEqual(0);
      expect(Buffer.from(got.buffer)).toEqual(Buffer.from(expected.buffer));
    }
  });

  it('runs several tasks given to one lane at once one after another, each gradient intact', async () => {
    // What a lane sees when a lost worker's shards are reassigned to it mid-step. Every task of a
    // lane writes the same shared slot, so overlapping tasks used to mix their gradients.
    const data = randomData(60);
    pool = new LocalPool({ spec, data, backend: 'reference', threads: 1 });
    const oracle = new InProcessSource({ spec, data, backend: referenceBackend });
    const order = new Rng(4).permutation(60);
    const base = { weightsVersion: 0, weights: weights(), epoch: 0, batch: 0, order };
    const shards = [
      { offset: 0, count: 20 },
      { offset: 20, count: 25 },
      { offset: 45, count: 15 },
    ];
    const lane = pool.lanes[0];
    const got = shards.map(() => new Float32Array(base.weights.length));
    const stats = await Promise.all(shards.map((s, i) => computeShard(lane, { ...base, ...s }, got[i])));
    for (let i = 0; i < shards.length; i++) {
      const expected = new Float32Array(base.weights.length);
      const e = await computeShard(oracle, { ...base, ...shards[i] }, expected);
      expect(stats[i].count).toBe(shards[i].count);
      expect(stats[i].lossSum).toBe(e.lossSum);
      expect(Buffer.from(got[i].buffer)).toEqual(Buffer.from(expected.buffer));
    }
  });

  it('sees new weights and a new epoch order once they are published', async () => {
    const data = randomData(12);
    pool = new LocalPool({ spec, data, backend: 'reference', threads: 1 });
    const oracle = new InProcessSource({ spec, data, backend: referenceBackend });
    const w = weights();
    const lane = pool.lanes[0];
    const g = new Float32Array(w.length);
    const e = new Float32Array(w.length);
    await computeShard(
      lane,
      { weightsVersion: 0, weights: w, epoch: 0, batch: 0, order: new Rng(1).permutation(12), offset: 0, count: 6 },
      g,
    );
    const w1 = w.map((x) => x * 0.5);
    const task = {
      weightsVersion: 1,
      weights: w1,
      epoch: 1,
      batch: 0,
      order: new Rng(2).permutation(12),
      offset: 0,
      count: 6,
    };
    await computeShard(lane, task, g);
    await computeShard(oracle, task, e);
    expect(Buffer.from(g.buffer)).toEqual(Buffer.from(e.buffer));
  });

  it("fails the call with the thread's own error message when a thread throws", async () => {
    pool = new LocalPool({ spec, data: randomData(10), backend: 'reference', threads: 2 });
    const task = {
      weightsVersion: 0,
      weights: weights(),
      epoch: 0,
      batch: 0,
      order: new Rng(1).permutation(10),
      offset: 8,
      count: 5,
    };
    await expect(computeShard(pool.lanes[1], task, new Float32Array(weights().length))).rejects.toThrow(
      /thread 1 failed: sample selection runs past the end of the index/,
    );
  });

  it("passes tens of bytes per task through the thread's channel, whatever the model size", async () => {
    pool = new LocalPool({ spec, data: randomData(30), backend: 'reference', threads: 2 });
    const task = {
      weightsVersion: 0,
      weights: weights(),
      epoch: 0,
      batch: 0,
      order: new Rng(1).permutation(30),
      offset: 0,
      count: 15,
    };
    await Promise.all(
      pool.lanes.map((lane, i) => computeShard(lane, { ...task, offset: 15 * i }, new Float32Array(weights().length))),
    );
    const { sent, received, tasks } = pool.messageBytes;
    expect(tasks).toBe(2);
    expect((sent + received) / tasks).toBeLessThan(128);
  });
});
