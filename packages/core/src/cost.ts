/**
 * Regularisation and reduction, applied once to the summed data term (architecture §2):
 *   J_sum = Σℓ_i + (λ2/2)·Σw² + (λ1/2)·Σ|w|     (bias columns excluded)
 *   mean:  J = J_sum / m,  ∇ = ∇J_sum / m   — ex4's (1/m)Σℓ + λ/(2m)Σθ²
 *   sum:   J = J_sum,      ∇ = ∇J_sum       — Raschka's NeuralNetMLP
 * The L1 gradient is the true derivative of the L1 term, (λ1/2)·sign(w). Raschka's code adds
 * λ1·sign(w), twice the derivative of his own cost, which a gradient check with L1 on reports
 * as a problem; we keep his cost and make the gradient agree with it.
 */
import type { KernelBackend } from './kernel-backend.js';
import { layerLayouts } from './mlp.js';
import type { CostOptions, FloatArray } from './types.js';

/** Validated cost options; `mean` reduction and no regularisation by default. */
export const DEFAULT_COST_OPTIONS: CostOptions = Object.freeze({ l1: 0, l2: 0, reduction: 'mean' });

/**
 * Checks cost options and fills defaults.
 * @throws TypeError / RangeError naming the bad field
 */
export function resolveCostOptions(options: Partial<CostOptions> = {}): CostOptions {
  const merged = { ...DEFAULT_COST_OPTIONS, ...options };
  for (const key of ['l1', 'l2'] as const) {
    const v = merged[key];
    if (typeof v !== 'number') throw new TypeError(`options.${key} must be a number, got ${typeof v}`);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`options.${key} must be a finite number >= 0, got ${v}`);
  }
  if (merged.reduction !== 'mean' && merged.reduction !== 'sum') {
    throw new RangeError(`options.reduction must be mean or sum, got ${String(merged.reduction)}`);
  }
  return Object.freeze(merged);
}

/**
 * Row ranges of the non-bias weights: for each row of each W_l, [start, end) after its bias
 * entry. Regularisation runs once per step over every parameter, so it walks these ranges with
 * no per-element mask test (in V8 a masked loop cost more than the whole gradient of a small
 * network on the fast kernels). Cached per layer list.
 */
const rowCache = new Map<string, Int32Array>();
export function weightRows(layers: readonly number[]): Int32Array {
  const key = layers.join(',');
  let rows = rowCache.get(key);
  if (!rows) {
    const list: number[] = [];
    for (const { rows: n, cols, offset } of layerLayouts(layers)) {
      for (let r = 0; r < n; r++) list.push(offset + r * cols + 1, offset + (r + 1) * cols);
    }
    rows = Int32Array.from(list);
    rowCache.set(key, rows);
  }
  return rows;
}

/**
 * Σw² over params[start, end), in the order every part of gradswarm sums it (this file and the
 * native step update alike): four partial sums, element i going to partial (i − start) mod 4,
 * combined as (p0 + p1) + (p2 + p3). Four independent chains of additions instead of one let a
 * core keep four in flight: a single chain made the penalty most of the step update's time.
 */
export function rowSquares(params: FloatArray, start: number, end: number): number {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const a = params[i];
    const b = params[i + 1];
    const c = params[i + 2];
    const d = params[i + 3];
    p0 += a * a;
    p1 += b * b;
    p2 += c * c;
    p3 += d * d;
  }
  // The last 1-3 elements go to partials 0, 1, 2, as (i − start) mod 4 says.
  for (let lane = 0; i < end; lane++, i++) {
    const w = params[i];
    if (lane === 0) p0 += w * w;
    else if (lane === 1) p1 += w * w;
    else p2 += w * w;
  }
  return p0 + p1 + (p2 + p3);
}

/** Σ|w| over params[start, end), in rowSquares' order. */
export function rowAbsolutes(params: FloatArray, start: number, end: number): number {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    p0 += Math.abs(params[i]);
    p1 += Math.abs(params[i + 1]);
    p2 += Math.abs(params[i + 2]);
    p3 += Math.abs(params[i + 3]);
  }
  for (let lane = 0; i < end; lane++, i++) {
    const w = Math.abs(params[i]);
    if (lane === 0) p0 += w;
    else if (lane === 1) p1 += w;
    else p2 += w;
  }
  return p0 + p1 + (p2 + p3);
}

/** (λ2/2)·Σw² + (λ1/2)·Σ|w| over the non-bias weights. */
export function regularizationPenalty(layers: readonly number[], params: FloatArray, l1: number, l2: number): number {
  if (l1 === 0 && l2 === 0) return 0;
  const rows = weightRows(layers);
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rows.length; q += 2) {
    sq += rowSquares(params, rows[q], rows[q + 1]);
    if (l1 !== 0) abs += rowAbsolutes(params, rows[q], rows[q + 1]);
  }
  return (l2 / 2) * sq + (l1 / 2) * abs;
}

/** Σw² and Σ|w| from finishGradientRows (reused: this runs once per step). */
const penaltySums = new Float64Array(2);

/**
 * Turns a summed data-term gradient into the gradient of J in place: adds λ2·w + (λ1/2)·sign(w)
 * to non-bias entries and divides by m for the mean reduction. Returns J for that batch.
 * @param lossSum Σℓ_i over the m samples
 * @param m number of samples the sums cover (the global batch size)
 * @param backend uses its `finishGradient` for float32 buffers when it has one (same bits; null: TypeScript)
 */
export function finishGradient(
  layers: readonly number[],
  params: FloatArray,
  grad: FloatArray,
  lossSum: number,
  m: number,
  options: CostOptions,
  backend: KernelBackend | null = null,
): number {
  const { l1, l2 } = options;
  const scale = costScale(options, m);
  finishGradientRows(weightRows(layers), params, grad, l1, l2, scale, penaltySums, backend);
  return costFromPenaltySums(lossSum, penaltySums[0], penaltySums[1], options, scale);
}

/** The factor finishGradient scales by: 1/m for the mean reduction, 1 for the sum. */
export function costScale(options: CostOptions, m: number): number {
  return options.reduction === 'mean' ? 1 / m : 1;
}

/** J from Σℓ and the penalty sums Σw², Σ|w|: finishGradient's closing expression. */
export function costFromPenaltySums(
  lossSum: number,
  squares: number,
  absolutes: number,
  options: CostOptions,
  scale: number,
): number {
  const { l1, l2 } = options;
  return (lossSum + ((l2 / 2) * squares + (l1 / 2) * absolutes)) * scale;
}

/**
 * finishGradient's work over the weight rows `rows` (pairs [start, end) as weightRows gives,
 * each row's bias at start − 1): every element of those rows, and the penalty sums Σw² and Σ|w|
 * over them, added row by row from 0, into sums[0] and sums[1]. Each element depends only on
 * itself, so rows can be finished in any grouping with the same bits; the sums only if the
 * caller adds the groups' sums row by row in order (step-slices.ts does, from one row each).
 */
export function finishGradientRows(
  rows: Int32Array,
  params: FloatArray,
  grad: FloatArray,
  l1: number,
  l2: number,
  scale: number,
  sums: Float64Array,
  backend: KernelBackend | null = null,
): void {
  if (backend?.finishGradient && params instanceof Float32Array && grad instanceof Float32Array) {
    backend.finishGradient(rows, params, grad, l1, l2, scale, sums);
    return;
  }
  const half = l1 / 2;
  // Same per-element arithmetic as (g + λ2·w + (λ1/2)·sign(w))·scale, row by row; the penalty's
  // sums row by row as regularizationPenalty takes them.
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rows.length; q += 2) {
    const start = rows[q];
    const end = rows[q + 1];
    grad[start - 1] *= scale; // the row's bias: never regularised
    if (l1 === 0 && l2 === 0) {
      for (let i = start; i < end; i++) grad[i] *= scale;
    } else if (l1 === 0) {
      // (λ1/2)·sign(w) and (λ1/2)·Σ|w| are +0 here: leaving them out changes no value.
      for (let i = start; i < end; i++) grad[i] = (grad[i] + l2 * params[i]) * scale;
      sq += rowSquares(params, start, end);
    } else {
      for (let i = start; i < end; i++) {
        const w = params[i];
        grad[i] = (grad[i] + (l2 * w + half * Math.sign(w))) * scale;
      }
      sq += rowSquares(params, start, end);
      abs += rowAbsolutes(params, start, end);
    }
  }
  sums[0] = sq;
  sums[1] = abs;
}

/** J for a batch given Σℓ over its m samples. */
export function costFromLossSum(
  layers: readonly number[],
  params: FloatArray,
  lossSum: number,
  m: number,
  options: CostOptions,
): number {
  const j = lossSum + regularizationPenalty(layers, params, options.l1, options.l2);
  return options.reduction === 'mean' ? j / m : j;
}
