/**
 * The first layer computed in blocks of its units (rows of W_1), so a worker can start the forward
 * pass on the rows of W_1 it already has and send each finished block of ∂W_1 while the next one is
 * computed (DESIGN §8, overlap). Splitting over units changes no element's arithmetic: z_1[s, j]
 * is still Σ_k x[s, k]·W_1[j, k] in k order and ∂W_1[j, k] still Σ_s delta_1[s, j]·x[s, k] in sample
 * order; only the KC/k blocking of a product could move a bit, and it is not touched here. The
 * blocks go through the same fused layer calls as the whole layer (dense-layer.ts), with a block
 * never so small that a backend would hand it to another kernel (the small-call thresholds).
 */
import { denseBackward, denseForward } from './dense-layer.js';
import type { ElementwiseActivation } from './activations.js';
import type { KernelBackend } from './kernel-backend.js';
import type { FloatArray } from './types.js';

/**
 * Units of the first layer per block when streaming [128: for 784-512-10 four blocks of about six
 * 64 KiB chunks each]. Every block packs the whole input block again, so smaller blocks cost
 * compute: on 784-512-10 at 1000 samples (one thread, native, CPU time) blocks of 32 units took
 * the step from 17-19 ms to 24 (backward) and 31-32 (forward) ms, blocks of 128 to 18-19 and 19-20.
 */
export const FIRST_LAYER_BLOCK_UNITS = 128;

/**
 * Multiply-adds below which some backend sends a call to the reference kernels (the wasm backend's
 * WASM_MIN_WORK, the largest threshold): a block never drops below it unless the whole layer does,
 * or the block's bits could come from a different kernel than the whole layer's.
 */
export const BLOCK_MIN_WORK = 4096;

/** How the first layer overlaps with the chain: weights that are still arriving, gradients that leave early. */
export interface FirstLayerOverlap {
  /** Units of W_1 per block [FIRST_LAYER_BLOCK_UNITS]. */
  readonly blockUnits?: number;
  /** Returns once params[0, end) may be read (the weights still streaming in); absent: all are there. */
  readonly awaitParams?: (end: number) => void;
  /** Told that grad[0, end) is final (in layout order), last with end = P. */
  readonly onGradReady?: (end: number) => void;
}

/** The units per block for a call over `rows` samples: at least `wanted`, never below the small-call thresholds. */
export function blockUnitsFor(rows: number, nIn: number, nOut: number, wanted = FIRST_LAYER_BLOCK_UNITS): number {
  if (!Number.isInteger(wanted) || wanted < 1)
    throw new RangeError(`blockUnits must be a positive integer, got ${wanted}`);
  return Math.min(nOut, Math.max(wanted, leastUnits(rows, nIn, nOut)));
}

function leastUnits(rows: number, nIn: number, nOut: number): number {
  const work = rows * nIn;
  return work > 0 ? Math.ceil(BLOCK_MIN_WORK / work) : nOut;
}

/**
 * Where the blocks of units end: blocks of blockUnitsFor(…) units, the last one taking in a
 * remainder too small to stand on its own (it would go to another kernel).
 */
export function unitBlockEnds(rows: number, nIn: number, nOut: number, wanted = FIRST_LAYER_BLOCK_UNITS): number[] {
  const units = blockUnitsFor(rows, nIn, nOut, wanted);
  const least = leastUnits(rows, nIn, nOut);
  const ends: number[] = [];
  for (let j = 0; j < nOut; ) {
    j = nOut - (j + units) < least ? nOut : j + units;
    ends.push(j);
  }
  return ends;
}

function widest(ends: readonly number[]): number {
  let most = 0;
  for (let b = 0; b < ends.length; b++) most = Math.max(most, ends[b] - (b > 0 ? ends[b - 1] : 0));
  return most;
}

const scratchOf = new WeakMap<object, FloatArray>();

/** A reusable scratch buffer of at least n floats of `like`'s type, kept per owner. */
function scratch(owner: object, like: FloatArray, n: number): FloatArray {
  let s = scratchOf.get(owner);
  if (s === undefined || s.length < n || s.constructor !== like.constructor) {
    s = like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    scratchOf.set(owner, s);
  }
  return s;
}

/**
 * denseForward of the layer at `offset` in blocks of units: for each block, awaits its rows of W,
 * computes z and g(z) of those units into scratch and copies them into their columns of z and out.
 * @param owner keeps the scratch buffer between calls (a workspace)
 */
export function blockedDenseForward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  x: FloatArray,
  params: FloatArray,
  offset: number,
  z: FloatArray,
  out: FloatArray,
  activation: ElementwiseActivation,
  blockUnits: number,
  owner: object,
  awaitParams: ((end: number) => void) | null,
): void {
  const ldw = nIn + 1;
  const ends = unitBlockEnds(rows, nIn, nOut, blockUnits);
  const buf = scratch(owner, z, 2 * rows * widest(ends));
  for (let b = 0, j0 = 0; b < ends.length; j0 = ends[b++]) {
    const n = ends[b] - j0;
    awaitParams?.(offset + (j0 + n) * ldw);
    const bz = buf.subarray(0, rows * n);
    const bo = out === z ? bz : buf.subarray(rows * n, 2 * rows * n);
    denseForward(backend, rows, nIn, n, x, params, offset + j0 * ldw, bz, bo, activation);
    for (let r = 0; r < rows; r++) {
      z.set(bz.subarray(r * n, (r + 1) * n), r * nOut + j0);
      if (out !== z) out.set(bo.subarray(r * n, (r + 1) * n), r * nOut + j0);
    }
  }
}

/**
 * denseBackward of a bottom layer (no deltaIn) in blocks of units: each block's rows of ∂W from its
 * columns of delta (copied together first), reported final through `onBlock(end)` when `last`.
 */
export function blockedDenseBackward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  delta: FloatArray,
  x: FloatArray,
  params: FloatArray,
  offset: number,
  grad: FloatArray,
  activation: ElementwiseActivation,
  accumulate: boolean,
  blockUnits: number,
  owner: object,
  onBlock: ((end: number) => void) | null,
): void {
  const ldw = nIn + 1;
  const ends = unitBlockEnds(rows, nIn, nOut, blockUnits);
  const buf = scratch(owner, delta, rows * widest(ends));
  for (let b = 0, j0 = 0; b < ends.length; j0 = ends[b++]) {
    const n = ends[b] - j0;
    const bd = buf.subarray(0, rows * n);
    for (let r = 0; r < rows; r++) bd.set(delta.subarray(r * nOut + j0, r * nOut + j0 + n), r * n);
    denseBackward(backend, rows, nIn, n, bd, x, null, params, offset + j0 * ldw, grad, null, activation, accumulate);
    onBlock?.(offset + (j0 + n) * ldw);
  }
}
