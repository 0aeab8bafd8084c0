import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource } from '../src/in-process-source.js';
import { computeShard } from '../src/shard-compute.js';
import type { GradientRequest } from '../src/types.js';
import { computeEach, computeSum } from '../src/lane-compute.js';

const spec: ModelSpec = { layers: [4, 5, 3], hidden: 'relu', output: 'softmax', loss: 'ce' };
const rng = new Rng(21);
const data: LabeledSamples = {
  features: Float32Array.from({ length: 30 * 4 }, () => rng.uniform(-1, 1)),
  labels: Int32Array.from({ length: 30 }, () => rng.nextInt(3)),
  count: 30,
  featureCount: 4,
  classCount: 3,
};
const P = 5 * 5 + 3 * 6;
const weights = Float32Array.from({ length: P }, (_, i) => Math.sin(i) / 3);
const task = { weightsVersion: 0, weights, epoch: 0, batch: 0, order: new Rng(4).permutation(30) };
const lanes = [0, 1, 2].map(() => new InProcessSource({ spec, data, backend: referenceBackend }));

describe('computeEach', () => {
  it('returns every shard whole, equal to computing it alone', async () => {
    const shards = [
      { offset: 0, count: 7 },
      { offset: 7, count: 7 },
      { offset: 14, count: 6 },
      { offset: 20, count: 6 },
    ];
    const grads = shards.map(() => new Float32Array(P));
    const stats = await computeEach(lanes, task, shards, grads);
    for (let k = 0; k < shards.length; k++) {
      const alone = new Float32Array(P);
      const s = await computeShard(lanes[0], { ...task, ...shards[k] }, alone);
      expect(stats[k]).toEqual(s);
      expect(Buffer.from(grads[k].buffer)).toEqual(Buffer.from(alone.buffer));
    }
  });
});

describe('computeSum', () => {
  it('sums the lanes of every shard into one gradient over all its samples', async () => {
    const out = new Float32Array(P);
    const scratch = lanes.map(() => new Float32Array(P));
    const stats = await computeSum(lanes, task, [{ offset: 3, count: 20 }], out, scratch, 1);
    const whole = new Float32Array(P);
    const expected = await computeShard(lanes[0], { ...task, offset: 3, count: 20 }, whole);
    expect(stats.count).toBe(20);
    expect(stats.lossSum).toBeCloseTo(expected.lossSum, 5);
    for (let i = 0; i < P; i++) expect(out[i]).toBeCloseTo(whole[i], 5);
  });

  it('leaves lanes without samples out when a shard is smaller than the lanes', async () => {
    const out = new Float32Array(P);
    const stats = await computeSum(
      lanes,
      task,
      [{ offset: 0, count: 2 }],
      out,
      lanes.map(() => new Float32Array(P)),
      1,
    );
    expect(stats.count).toBe(2);
  });

  it('gives a lane no fewer than minSamplesPerLane samples, and a small shard to one lane whole', async () => {
    const asked: number[][] = lanes.map(() => []);
    const counting = lanes.map((lane, i) => ({
      label: `lane ${i}`,
      backend: lane.backend,
      threads: 1,
      compute: (r: GradientRequest) => {
        asked[i].push(...r.shards.map((s) => s.count));
        return lane.compute(r);
      },
      close: () => Promise.resolve(),
    }));
    const scratch = lanes.map(() => new Float32Array(P));
    await computeSum(counting, task, [{ offset: 0, count: 25 }], new Float32Array(P), scratch, 10);
    expect(asked).toEqual([[13], [12], []]); // 25 samples: two lanes of at least 10
    asked.forEach((a) => (a.length = 0));
    const out = new Float32Array(P);
    await computeSum(counting, task, [{ offset: 2, count: 9 }], out, scratch, 10);
    expect(asked).toEqual([[9], [], []]);
    const alone = new Float32Array(P);
    await computeShard(lanes[0], { ...task, offset: 2, count: 9 }, alone);
    expect(Buffer.from(out.buffer)).toEqual(Buffer.from(alone.buffer)); // straight into out
  });
});
