import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { InProcessSource } from '../src/in-process-source.js';
import { computeEach } from '../src/lane-compute.js';
import { computeEachStreamed, streamBufferCount } from '../src/stream-each.js';
import type { GradientSource } from '../src/types.js';

const spec: ModelSpec = { layers: [4, 5, 3], hidden: 'relu', output: 'softmax', loss: 'ce' };
const rng = new Rng(21);
const data: LabeledSamples = {
  features: Float32Array.from({ length: 60 * 4 }, () => rng.uniform(-1, 1)),
  labels: Int32Array.from({ length: 60 }, () => rng.nextInt(3)),
  count: 60,
  featureCount: 4,
  classCount: 3,
};
const P = 5 * 5 + 3 * 6;
const weights = Float32Array.from({ length: P }, (_, i) => Math.sin(i) / 3);
const task = { weightsVersion: 0, weights, epoch: 0, batch: 0, order: new Rng(4).permutation(60) };
const lanes = [0, 1, 2].map(() => new InProcessSource({ spec, data, backend: referenceBackend }));
const shards = Array.from({ length: 20 }, (_, k) => ({ offset: 3 * k, count: 3 }));

/** A lane whose shards take a given number of turns, so they finish out of shard order. */
function slowLane(inner: GradientSource, turns: (offset: number) => number): GradientSource {
  return {
    label: inner.label,
    backend: inner.backend,
    threads: inner.threads,
    close: () => inner.close(),
    compute: async (request) => {
      for (let i = 0; i < turns(request.shards[0].offset); i++) await new Promise((r) => setImmediate(r));
      return inner.compute(request);
    },
  };
}

describe('computeEachStreamed', () => {
  it("sends every shard's gradient in shard order, with the bits of computeEach, through a few buffers", async () => {
    const whole = shards.map(() => new Float32Array(P));
    const wholeStats = await computeEach(lanes, task, shards, whole);
    // Shards at offsets divisible by 9 are slow: later shards finish first and must wait their turn.
    const uneven = lanes.map((l) => slowLane(l, (offset) => (offset % 9 === 0 ? 6 : 0)));
    const buffers = Array.from({ length: streamBufferCount(shards.length, lanes.length) }, () => new Float32Array(P));
    const order: number[] = [];
    const seen: Buffer[] = [];
    let inSend = 0;
    const stats = await computeEachStreamed(uneven, task, shards, buffers, async (k, grad) => {
      expect(inSend, 'one send at a time').toBe(0);
      inSend++;
      expect(buffers).toContain(grad);
      order.push(k);
      seen.push(Buffer.from(grad.buffer.slice(0)));
      await new Promise((r) => setImmediate(r));
      inSend--;
    });
    expect(buffers).toHaveLength(5);
    expect(order).toEqual(shards.map((_, k) => k));
    expect(stats).toEqual(wholeStats);
    for (let k = 0; k < shards.length; k++)
      expect(seen[k].equals(Buffer.from(whole[k].buffer)), `shard ${k}`).toBe(true);
  });

  it('works with one buffer for three lanes, and fails with the error of a lane', async () => {
    const one = [new Float32Array(P)];
    const order: number[] = [];
    await computeEachStreamed(lanes, task, shards, one, async (k) => void order.push(k));
    expect(order).toEqual(shards.map((_, k) => k));
    const broken: GradientSource = {
      label: 'broken',
      backend: lanes[1].backend,
      threads: 1,
      close: () => Promise.resolve(),
      compute: () => Promise.reject(new Error('lane died')),
    };
    const sent: number[] = [];
    await expect(
      computeEachStreamed([lanes[0], broken], task, shards, one, async (k) => void sent.push(k)),
    ).rejects.toThrow('lane died');
    expect(sent.length).toBeLessThan(shards.length);
  });
});
