import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource } from '../src/in-process-source.js';
import { computeShard } from '../src/shard-compute.js';

const spec: ModelSpec = { layers: [4, 5, 3], hidden: 'relu', output: 'softmax', loss: 'ce' };
const rng = new Rng(8);
const data: LabeledSamples = {
  features: Float32Array.from({ length: 40 * 4 }, () => rng.uniform(-1, 1)),
  labels: Int32Array.from({ length: 40 }, () => rng.nextInt(3)),
  count: 40,
  featureCount: 4,
  classCount: 3,
};
const P = 5 * 5 + 3 * 6;
const weights = Float32Array.from({ length: P }, (_, i) => Math.cos(i) / 3);
const task = { weightsVersion: 0, weights, epoch: 0, batch: 0, order: new Rng(2).permutation(40) };
const shards = [
  { offset: 0, count: 7 },
  { offset: 7, count: 12 },
  { offset: 19, count: 5 },
];
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('GradientSource#compute', () => {
  const source = new InProcessSource({ spec, data, backend: referenceBackend });

  it('each: every shard whole into its own buffer, as computeShard computes it alone, and reports each buffer ready', async () => {
    const grads = shards.map(() => new Float32Array(P));
    const ready: Array<[number, number, number]> = [];
    const stats = await source.compute({
      task,
      shards,
      mode: 'each',
      grads,
      onReady: (b, from, to) => ready.push([b, from, to]),
    });
    expect(stats.map((s) => s.count)).toEqual([7, 12, 5]);
    for (let k = 0; k < shards.length; k++) {
      const alone = new Float32Array(P);
      const s = await computeShard(source, { ...task, ...shards[k] }, alone);
      expect(bits(grads[k])).toEqual(bits(alone));
      expect(stats[k].lossSum).toBe(s.lossSum);
    }
    expect(ready).toEqual([
      [0, 0, P],
      [1, 0, P],
      [2, 0, P],
    ]);
  });

  it('sum: one gradient, the shards added in shard order, reported ready once', async () => {
    const each = shards.map(() => new Float32Array(P));
    const eachStats = await source.compute({ task, shards, mode: 'each', grads: each });
    const expected = each[0].slice();
    for (let k = 1; k < each.length; k++) for (let i = 0; i < P; i++) expected[i] += each[k][i];
    const out = new Float32Array(P).fill(Number.NaN);
    const ready: number[][] = [];
    const [sum] = await source.compute({ task, shards, mode: 'sum', grads: [out], onReady: (...r) => ready.push(r) });
    expect(bits(out)).toEqual(bits(expected));
    expect(sum.count).toBe(24);
    expect(sum.lossSum).toBe(eachStats[0].lossSum + eachStats[1].lossSum + eachStats[2].lossSum);
    expect(ready).toEqual([[0, 0, P]]);
  });

  it('rejects a request whose buffers do not fit its mode', async () => {
    await expect(source.compute({ task, shards, mode: 'each', grads: [new Float32Array(P)] })).rejects.toThrow(
      'an each request over 3 shards needs 3 gradient buffers, got 1',
    );
    await expect(source.compute({ task, shards, mode: 'sum', grads: [] })).rejects.toThrow(RangeError);
  });
});
