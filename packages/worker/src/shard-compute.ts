/**
 * Helpers for GradientSources: the request checks every source shares, a source that computes
 * one shard at a time (this thread, one pool lane), and a one-shard call for tests and callers
 * that compute a single shard whole.
 */
import type { GradientSource, GradientRequest, ShardStats, ShardTask } from './types.js';

/**
 * Checks the number of buffers fits the mode (each: one per shard; sum: one).
 * @throws RangeError naming what does not fit
 */
export function checkRequest(request: GradientRequest): void {
  const want = request.mode === 'each' ? request.shards.length : 1;
  if (request.mode !== 'each' && request.mode !== 'sum' && request.mode !== 'fold')
    throw new RangeError(`request.mode must be each, sum or fold, got ${String(request.mode)}`);
  if (request.grads.length !== want)
    throw new RangeError(
      `${request.mode === 'each' ? 'an' : 'a'} ${request.mode} request over ${request.shards.length} shards needs ${want} gradient buffers, got ${request.grads.length}`,
    );
}

/**
 * A request computed one shard at a time by `computeOne` (which overwrites its buffer), in
 * shard order. `each`: straight into each shard's buffer. `sum`: the first shard into the
 * result and each further one into a scratch buffer added on, in shard order. Reports each
 * buffer ready when it is final.
 */
export async function computeShardByShard(
  request: GradientRequest,
  computeOne: (task: ShardTask, grad: Float32Array) => Promise<ShardStats>,
): Promise<ShardStats[]> {
  checkRequest(request);
  const { task, shards, grads, onReady } = request;
  if (request.mode === 'each') {
    const results: ShardStats[] = [];
    for (let k = 0; k < shards.length; k++) {
      results.push(await computeOne({ ...task, ...shards[k] }, grads[k]));
      onReady?.(k, 0, grads[k].length);
    }
    return results;
  }
  const out = grads[0];
  let lossSum = 0;
  let count = 0;
  let computeMs: number | undefined;
  if (shards.length === 0) out.fill(0);
  const scratch = shards.length > 1 ? new Float32Array(out.length) : null;
  for (let k = 0; k < shards.length; k++) {
    const s = await computeOne({ ...task, ...shards[k] }, k === 0 ? out : scratch!);
    if (k > 0) for (let i = 0; i < out.length; i++) out[i] += scratch![i];
    lossSum += s.lossSum;
    count += s.count;
    if (s.computeMs !== undefined) computeMs = (computeMs ?? 0) + s.computeMs;
  }
  onReady?.(0, 0, out.length);
  return [computeMs === undefined ? { lossSum, count } : { lossSum, count, computeMs }];
}

/** Σ∇ℓ of one shard, computed whole, into `grad`; resolves with its statistics. */
export async function computeShard(source: GradientSource, task: ShardTask, grad: Float32Array): Promise<ShardStats> {
  const { offset, count, ...step } = task;
  const [stats] = await source.compute({ task: step, shards: [{ offset, count }], mode: 'each', grads: [grad] });
  return stats;
}
