/**
 * Regularisation and reduction, applied once to the summed data term (DESIGN §2):
 *   J_sum = Σℓ_i + (λ2/2)·Σw² + (λ1/2)·Σ|w|     (bias columns excluded)
 *   mean:  J = J_sum / m,  ∇ = ∇J_sum / m   — ex4's (1/m)Σℓ + λ/(2m)Σθ²
 *   sum:   J = J_sum,      ∇ = ∇J_sum       — Raschka's NeuralNetMLP
 * The L1 gradient is the true derivative of the L1 term, (λ1/2)·sign(w). Raschka's code adds
 * λ1·sign(w), twice the derivative of his own cost, which a gradient check with L1 on reports
 * as a problem; we keep his cost and make the gradient agree with it.
 */
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
 * no per-element mask test (a masked loop ran ~10 ns per element in V8, longer than the whole
 * gradient of a small network on the fast kernels). Cached per layer list.
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

/** (λ2/2)·Σw² + (λ1/2)·Σ|w| over the non-bias weights. */
export function regularizationPenalty(layers: readonly number[], params: FloatArray, l1: number, l2: number): number {
  if (l1 === 0 && l2 === 0) return 0;
  const rows = weightRows(layers);
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rows.length; q += 2) {
    const end = rows[q + 1];
    for (let i = rows[q]; i < end; i++) {
      const w = params[i];
      sq += w * w;
      abs += Math.abs(w);
    }
  }
  return (l2 / 2) * sq + (l1 / 2) * abs;
}

/**
 * Turns a summed data-term gradient into the gradient of J in place: adds λ2·w + (λ1/2)·sign(w)
 * to non-bias entries and divides by m for the mean reduction. Returns J for that batch.
 * @param lossSum Σℓ_i over the m samples
 * @param m number of samples the sums cover (the global batch size)
 */
export function finishGradient(
  layers: readonly number[],
  params: FloatArray,
  grad: FloatArray,
  lossSum: number,
  m: number,
  options: CostOptions,
): number {
  const { l1, l2, reduction } = options;
  const scale = reduction === 'mean' ? 1 / m : 1;
  const rows = weightRows(layers);
  const half = l1 / 2;
  // Same per-element arithmetic as (g + λ2·w + (λ1/2)·sign(w))·scale, row by row; the penalty's
  // sums are taken in the same pass, in the same order as regularizationPenalty takes them.
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rows.length; q += 2) {
    const end = rows[q + 1];
    grad[rows[q] - 1] *= scale; // the row's bias: never regularised
    if (l1 === 0 && l2 === 0) {
      for (let i = rows[q]; i < end; i++) grad[i] *= scale;
    } else if (l1 === 0) {
      // (λ1/2)·sign(w) and (λ1/2)·Σ|w| are +0 here: leaving them out changes no value.
      for (let i = rows[q]; i < end; i++) {
        const w = params[i];
        grad[i] = (grad[i] + l2 * w) * scale;
        sq += w * w;
      }
    } else {
      for (let i = rows[q]; i < end; i++) {
        const w = params[i];
        grad[i] = (grad[i] + (l2 * w + half * Math.sign(w))) * scale;
        sq += w * w;
        abs += Math.abs(w);
      }
    }
  }
  return (lossSum + ((l2 / 2) * sq + (l1 / 2) * abs)) * scale;
}

/** J for a batch given Σℓ over its m samples. */
export function costFromLossSum(layers: readonly number[], params: FloatArray, lossSum: number, m: number, options: CostOptions): number {
  const j = lossSum + regularizationPenalty(layers, params, options.l1, options.l2);
  return options.reduction === 'mean' ? j / m : j;
}
