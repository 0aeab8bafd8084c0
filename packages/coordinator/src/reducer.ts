/**
 * Gradient reduction in a fixed order. Shard results arrive in any order; they are summed by
 * shard position so the float32 sum, and so the trained model, never depends on timing.
 */
import type { GradientStats } from '@gradswarm/core';

/** Sums shard gradients into `out` in the order of `parts` (position 0 first). */
export function reduceInOrder(parts: readonly Float32Array[], out: Float32Array): void {
  if (parts.length === 0) {
    out.fill(0);
    return;
  }
  if (parts[0] !== out) out.set(parts[0]);
  for (let s = 1; s < parts.length; s++) {
    const p = parts[s];
    for (let i = 0; i < out.length; i++) out[i] += p[i];
  }
}

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
