/**
 * Computing a step's shards on this machine's threads (the remote worker's side of DESIGN §4).
 *   sum:  every shard is split equally over the lanes and all results are summed in shard then
 *         lane order into one gradient (default mode: fewer bytes on the wire);
 *   each: the shards are spread over the lanes in contiguous groups and each gradient is kept
 *         whole (reproducible mode: the coordinator sums them in virtual-shard order).
 */
import type { GradientStats } from '@gradswarm/core';
import type { GradientSource, ShardRange, StepTask } from './types.js';

function equalParts(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  return Array.from({ length: parts }, (_, i) => (i < extra ? base + 1 : base));
}

/** One summed gradient over all shards into `out`. `scratch` holds one buffer per lane. */
export async function computeSum(lanes: readonly GradientSource[], task: StepTask, shards: readonly ShardRange[], out: Float32Array, scratch: readonly Float32Array[]): Promise<GradientStats> {
  // One lane, one shard (a one-thread worker): its gradient is the sum; skip the scratch, the
  // zeroing and the adding, three passes over every parameter.
  if (lanes.length === 1 && shards.length === 1 && shards[0].count > 0) {
    const s = await lanes[0].computeGradient({ ...task, ...shards[0] }, out);
    return { lossSum: s.lossSum, count: s.count };
  }
  out.fill(0);
  let lossSum = 0;
  let count = 0;
  for (const shard of shards) {
    const sizes = equalParts(shard.count, lanes.length);
    let offset = shard.offset;
    const runs = lanes.map((lane, i) => {
      const part = { offset, count: sizes[i] };
      offset += sizes[i];
      return part.count === 0 ? Promise.resolve({ lossSum: 0, count: 0 }) : lane.computeGradient({ ...task, ...part }, scratch[i]);
    });
    const stats = await Promise.all(runs);
    // Lane order, never arrival order.
    for (let i = 0; i < lanes.length; i++) {
      if (stats[i].count === 0) continue;
      const g = scratch[i];
      for (let j = 0; j < out.length; j++) out[j] += g[j];
      lossSum += stats[i].lossSum;
      count += stats[i].count;
    }
  }
  return { lossSum, count };
}

/** Every shard's gradient whole into grads[k]. */
export async function computeEach(lanes: readonly GradientSource[], task: StepTask, shards: readonly ShardRange[], grads: readonly Float32Array[]): Promise<GradientStats[]> {
  const groups = equalParts(shards.length, lanes.length);
  const results: GradientStats[] = new Array(shards.length);
  let next = 0;
  await Promise.all(
    lanes.map(async (lane, i) => {
      const first = next;
      next += groups[i];
      for (let k = first; k < first + groups[i]; k++) results[k] = await lane.computeGradient({ ...task, ...shards[k] }, grads[k]);
    }),
  );
  return results;
}
