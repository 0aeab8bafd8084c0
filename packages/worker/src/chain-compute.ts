/**
 * A chain round's computation, started before its weights are all in and read before it ends
 * (DESIGN §8, overlap). The threads begin the forward pass on the first rows of W_1 while the
 * chain is still bringing the rest; the shard computed last streams its gradient out of its
 * thread's shared slot block by block, so the chain folds and sends the first blocks of ∂W_1
 * while the thread computes the next ones. Which shard streams:
 *   sum (default mode): the one shard, when one lane computes it whole (computeSum's fast path);
 *   each (reproducible): the last shard of the request, after the other shards (done whole);
 * any other request runs as before and is read once it is done. Only scheduling changes: every
 * shard is computed by the same code into a buffer of its own, and folded in shard order.
 */
import type { GradientStats } from '@gradswarm/core';
import { computeEach, computeSum, equalParts, sumParts } from './lane-compute.js';
import type { LocalPool } from './local-pool.js';
import { computeShard } from './shard-compute.js';
import type { ShardRange, StepTask } from './types.js';

/** A round's computation as the chain member sees it. */
export interface ChainCompute {
  /** Resolves with the gradients to fold (in order) once each is final in [0, end). */
  readonly readyUpTo: (end: number) => Promise<readonly Float32Array[]>;
  /** The statistics per gradient, once all are computed. */
  readonly result: Promise<readonly GradientStats[]>;
  /** Resolves once no task of the round runs any more, whether it failed or not. */
  readonly settled: Promise<void>;
}

/**
 * Starts computing `shards` on the pool's lanes (reduce `sum`: one gradient over them; `each`:
 * one per shard). `buffers(n)` gives n gradient buffers of this worker.
 */
export function startChainCompute(
  pool: LocalPool,
  task: StepTask,
  shards: readonly ShardRange[],
  reduce: 'sum' | 'each',
  buffers: (n: number) => Float32Array[],
): ChainCompute {
  const lanes = pool.lanes;
  const n = shards.length;
  if (reduce === 'sum') {
    if (n === 1 && shards[0].count > 0 && sumParts(shards[0], lanes.length).length === 1) {
      const s = pool.streamingLanes[0].computeStreaming({ ...task, ...shards[0] });
      return {
        readyUpTo: (end) => s.readyUpTo(end).then(() => [s.grad]),
        result: s.done.then((st) => [{ lossSum: st.lossSum, count: st.count }]),
        settled: settle([s.done]),
      };
    }
    const [out, ...scratch] = buffers(lanes.length + 1);
    const result = computeSum(lanes, task, shards, out, scratch).then((st) => [st]);
    return { readyUpTo: () => result.then(() => [out]), result, settled: settle([result]) };
  }
  const grads = buffers(n);
  if (n === 0) {
    const result = computeEach(lanes, task, shards, grads);
    return { readyUpTo: () => result.then(() => grads), result, settled: settle([result]) };
  }
  // The lanes take contiguous groups of shards as computeEach does; the lane holding the last
  // shard computes it after its others, straight into its slot, which nothing overwrites until
  // the lane's next task (the next round's).
  const groups = equalParts(n, lanes.length);
  const stats: GradientStats[] = new Array(n);
  let first = 0;
  let owner = 0;
  const runs = lanes.map(async (lane, i) => {
    const from = first;
    first += groups[i];
    if (from < n && first >= n) owner = i;
    for (let k = from; k < Math.min(first, n - 1); k++)
      stats[k] = await computeShard(lane, { ...task, ...shards[k] }, grads[k]);
  });
  const others = Promise.all(runs);
  const streamed = runs[owner].then(() => pool.streamingLanes[owner].computeStreaming({ ...task, ...shards[n - 1] }));
  const folded = streamed.then((s) => [...grads.slice(0, n - 1), s.grad]);
  // A failure surfaces through `result` (always awaited); these branches must not count as unhandled.
  streamed.catch(() => undefined);
  folded.catch(() => undefined);
  const result = Promise.all([others, streamed.then((s) => s.done)]).then(([, last]) => {
    stats[n - 1] = last;
    return stats.map((s) => ({ lossSum: s.lossSum, count: s.count }));
  });
  return {
    readyUpTo: (end) =>
      Promise.all([others, streamed.then((s) => s.readyUpTo(end)), folded]).then(([, , list]) => list),
    result,
    // Every lane's run, not the first failure: a lane may still be computing when another failed.
    settled: settle([...runs, streamed.then((s) => s.done)]),
  };
}

function settle(work: readonly Promise<unknown>[]): Promise<void> {
  return Promise.allSettled(work).then(() => undefined);
}
