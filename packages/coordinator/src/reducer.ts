/**
 * Reduction in a fixed order. Shard results arrive in any order; they are summed by shard
 * position so the sums, and so the trained model, never depend on timing. The gradients
 * themselves are summed by core's reduceAndUpdate, in the same pass as the update.
 */
import type { GradientStats } from '@gradswarm/core';

/** Sums shard statistics in shard order. */
export function reduceStats(stats: readonly GradientStats[]): GradientStats {
  let lossSum = 0;
  let count = 0;
  for (const s of stats) {
    lossSum += s.lossSum;
    count += s.count;
  }
  return { lossSum, count };
}
