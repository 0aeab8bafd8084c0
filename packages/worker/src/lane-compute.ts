/**
 * Computing a step's shards on this machine's threads (the remote worker's side of architecture §4).
 *   sum:  every shard is split equally over the lanes and all results are summed in shard then
 *         lane order into one gradient (default mode: fewer bytes on the wire);
 *   each: the shards are spread over the lanes in contiguous groups and each gradient is kept
 *         whole (reproducible mode: the coordinator sums them in virtual-shard order).
 */
import type { GradientStats } from '@gradswarm/core';
import { computeShard } from './shard-compute.js';
import type { GradientSource, ShardRange, StepTask } from './types.js';

/** `count` split into `parts` near-equal sizes, the larger ones first. */
export function equalParts(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  return Array.from({ length: parts }, (_, i) => (i < extra ? base + 1 : base));
}

/**
 * Fewest samples of a shard computeSum gives a lane: below it, handing a lane its part and
 * summing its gradient cost more than the lane saves (scripts/bench-train.mjs: with the native
 * kernels two threads lose to one at 50 samples each and gain at 500). `train`'s default thread
 * count follows the same rule.
 */
export const MIN_SAMPLES_PER_LANE = 200;

/**
 * How computeSum splits one shard over `lanes` lanes: equal contiguous parts, as many as give
 * each at least `minSamplesPerLane` samples (at least one). It depends only on the shard and the
 * lane count, so another machine can recompute a summed shard bit for bit (result checks).
 */
export function sumParts(shard: ShardRange, lanes: number, minSamplesPerLane = MIN_SAMPLES_PER_LANE): ShardRange[] {
  const sizes = equalParts(shard.count, Math.max(1, Math.min(lanes, Math.floor(shard.count / minSamplesPerLane))));
  let offset = shard.offset;
  return sizes.map((count) => {
    const part = { offset, count };
    offset += count;
    return part;
  });
}

/**
 * One summed gradient over all shards into `out`. `scratch` holds one buffer per lane. Each
 * shard is split equally over as many lanes as give each at least `minSamplesPerLane` samples
 * (at least one lane), which depends only on the shard's size, so the sum's bits repeat.
 */
export async function computeSum(
  lanes: readonly GradientSource[],
  task: StepTask,
  shards: readonly ShardRange[],
  out: Float32Array,
  scratch: readonly Float32Array[],
  minSamplesPerLane = MIN_SAMPLES_PER_LANE,
): Promise<GradientStats> {
  // One shard for one lane: its gradient is the sum; skip the scratch, the zeroing and the
  // adding, three passes over every parameter.
  if (shards.length === 1 && shards[0].count > 0 && sumParts(shards[0], lanes.length, minSamplesPerLane).length === 1) {
    const s = await computeShard(lanes[0], { ...task, ...shards[0] }, out);
    return { lossSum: s.lossSum, count: s.count };
  }
  out.fill(0);
  let lossSum = 0;
  let count = 0;
  for (const shard of shards) {
    const parts = sumParts(shard, lanes.length, minSamplesPerLane);
    const used = lanes.slice(0, parts.length);
    const runs = used.map((lane, i) =>
      parts[i].count === 0
        ? Promise.resolve({ lossSum: 0, count: 0 })
        : computeShard(lane, { ...task, ...parts[i] }, scratch[i]),
    );
    const stats = await Promise.all(runs);
    // Lane order, never arrival order.
    for (let i = 0; i < used.length; i++) {
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
export async function computeEach(
  lanes: readonly GradientSource[],
  task: StepTask,
  shards: readonly ShardRange[],
  grads: readonly Float32Array[],
): Promise<GradientStats[]> {
  const groups = equalParts(shards.length, lanes.length);
  const results: GradientStats[] = new Array(shards.length);
  let next = 0;
  await Promise.all(
    lanes.map(async (lane, i) => {
      const first = next;
      next += groups[i];
      for (let k = first; k < first + groups[i]; k++)
        results[k] = await computeShard(lane, { ...task, ...shards[k] }, grads[k]);
    }),
  );
  return results;
}
