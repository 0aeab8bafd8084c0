/**
 * Epoch and step plans, pure arithmetic shared by the coordinator and every worker (both derive
 * the same plan from the seed, so a step message only carries epoch, batch, offset and count):
 *
 *   epochPermutation(seed, epoch, n)  → the order of the samples in that epoch
 *   minibatchBounds(n, {batchSize} | {minibatches}) → runs of that order, one per step
 *   proportionalShards(B, throughputs) → how many of a batch's B samples each worker gets
 */
import { Rng } from '@gradswarm/core';
import { EPOCH_STREAM_BASE } from './constants.js';
import type { Bounds } from './types.js';

/**
 * The part sizes of numpy's `array_split(range(n), k)`: the first n mod k parts get
 * ⌊n/k⌋ + 1 samples, the others ⌊n/k⌋. As in numpy, k > n is allowed and yields k − n
 * zero-size parts at the end: (5, 8) → [1, 1, 1, 1, 1, 0, 0, 0].
 * @throws TypeError if n or k is not a number; RangeError if n is not a non-negative integer or k
 *   not a positive integer
 */
export function arraySplitSizes(n: number, k: number): number[] {
  checkInteger('n', n, 0);
  checkInteger('k', k, 1);
  const base = Math.floor(n / k);
  const extra = n % k;
  return Array.from({ length: k }, (_, i) => (i < extra ? base + 1 : base));
}

/**
 * Batch sizes for a fixed batch size: ⌊n/batchSize⌋ full batches, then the remainder if any
 * ((10, 4) → [4, 4, 2]; n = 0 → []).
 * @throws TypeError if n or batchSize is not a number; RangeError if n is not a non-negative
 *   integer or batchSize not a positive integer
 */
export function batchSizesBySize(n: number, batchSize: number): number[] {
  checkInteger('n', n, 0);
  checkInteger('batchSize', batchSize, 1);
  const sizes = new Array<number>(Math.floor(n / batchSize)).fill(batchSize);
  if (n % batchSize !== 0) sizes.push(n % batchSize);
  return sizes;
}

/**
 * The sample order of one epoch: a permutation of 0 … n−1 drawn from Rng stream
 * EPOCH_STREAM_BASE + epoch, so it depends only on (seed, epoch, n) — a resumed run or a remote
 * worker recomputes it without replaying earlier epochs.
 * @throws TypeError if seed is not an integer; RangeError if epoch or n is not a non-negative integer
 */
export function epochPermutation(seed: number, epoch: number, n: number): Uint32Array {
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${String(seed)}`);
  checkInteger('epoch', epoch, 0);
  checkInteger('n', n, 0);
  return Rng.derive(seed, EPOCH_STREAM_BASE + epoch).permutation(n);
}

/** Options of {@link minibatchBounds}: give exactly one. */
export interface MinibatchOptions {
  /** Samples per minibatch; the last one may be smaller. */
  batchSize?: number;
  /** Number of minibatches, sized as numpy's array_split. */
  minibatches?: number;
}

/**
 * The minibatches of an epoch of n samples as runs [start, start + count) of the epoch order,
 * by batch size or by number of minibatches (exactly one must be given). Empty batches
 * (minibatches > n) are left out, so every run has count ≥ 1.
 * @throws TypeError if options is not an object or a value not a number; RangeError if both or
 *   neither option is given, or a value is not a positive integer
 */
export function minibatchBounds(n: number, options: MinibatchOptions): Bounds[] {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { batchSize, minibatches } = options;
  if ((batchSize === undefined) === (minibatches === undefined)) {
    throw new RangeError('exactly one of options.batchSize and options.minibatches must be given');
  }
  const sizes =
    batchSize !== undefined
      ? batchSizesBySize(n, checkOption('batchSize', batchSize))
      : arraySplitSizes(n, checkOption('minibatches', minibatches as number));
  const bounds: Bounds[] = [];
  let start = 0;
  for (const count of sizes) {
    if (count === 0) continue;
    bounds.push({ start, count });
    start += count;
  }
  return bounds;
}

/**
 * Splits `count` samples into parts proportional to `weights` (e.g. worker throughputs) by the
 * largest-remainder (Hamilton) method; equal remainders go to the lower index. The sizes always
 * sum to `count`, and:
 * - count ≥ parts: no part is empty — a part the method left at 0 takes one sample from the
 *   currently largest part (lowest index among equals);
 * - count < parts: `count` parts get 1 sample and the rest 0; the ones chosen are those with the
 *   largest weights (lowest index among equals, so with equal weights the first `count` parts).
 * @throws TypeError if weights is not an array or count not a number; RangeError if weights is
 *   empty, a weight is not a positive finite number, or count is not a non-negative integer
 */
export function proportionalShards(count: number, weights: readonly number[]): number[] {
  checkInteger('count', count, 0);
  if (!Array.isArray(weights)) throw new TypeError('weights must be an array of positive numbers');
  const parts = weights.length;
  if (parts === 0) throw new RangeError('weights must not be empty');
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
      throw new RangeError(`weights[${i}] must be a positive finite number, got ${String(w)}`);
    }
  });
  const sizes = new Array<number>(parts).fill(0);
  if (count < parts) {
    // Only `count` parts can have a sample: give them to the heaviest (stable sort keeps index order).
    const byWeight = weights.map((w, i) => ({ w, i })).sort((a, b) => b.w - a.w);
    for (let r = 0; r < count; r++) sizes[byWeight[r].i] = 1;
    return sizes;
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const remainders: { r: number; i: number }[] = [];
  let given = 0;
  for (let i = 0; i < parts; i++) {
    const quota = (count * weights[i]) / total;
    sizes[i] = Math.min(count, Math.floor(quota));
    given += sizes[i];
    remainders.push({ r: quota - sizes[i], i });
  }
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  // Rounding can leave the floors off by one either way; the loops settle it exactly.
  for (let k = 0; given < count; k = (k + 1) % parts, given++) sizes[remainders[k].i]++;
  for (let k = parts - 1; given > count; k = (k + parts - 1) % parts) {
    if (sizes[remainders[k].i] > 0) {
      sizes[remainders[k].i]--;
      given--;
    }
  }
  for (let i = 0; i < parts; i++) {
    if (sizes[i] !== 0) continue;
    let donor = 0;
    for (let j = 1; j < parts; j++) if (sizes[j] > sizes[donor]) donor = j;
    sizes[donor]--; // donor ≥ 2 here: the sizes sum to count ≥ parts and one of them is 0
    sizes[i] = 1;
  }
  return sizes;
}

function checkInteger(name: string, value: number, min: number): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

function checkOption(name: string, value: number): number {
  if (typeof value !== 'number') throw new TypeError(`options.${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`options.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
