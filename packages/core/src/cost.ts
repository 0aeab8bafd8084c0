/**
 * Regularisation and reduction, applied once to the summed data term (DESIGN §2):
 *   J_sum = Σℓ_i + (λ2/2)·Σw² + (λ1/2)·Σ|w|     (bias columns excluded)
 *   mean:  J = J_sum / m,  ∇ = ∇J_sum / m   — ex4's (1/m)Σℓ + λ/(2m)Σθ²
 *   sum:   J = J_sum,      ∇ = ∇J_sum       — Raschka's NeuralNetMLP
 * The L1 gradient is the true derivative of the L1 term, (λ1/2)·sign(w). Raschka's code adds
 * λ1·sign(w), twice the derivative of his own cost, which a gradient check with L1 on reports
 * as a problem; we keep his cost and make the gradient agree with it.
 */
import { isBiasMask } from './mlp.js';
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

/** Caches the bias mask of a layer list; regularisation runs once per step. */
const maskCache = new Map<string, Uint8Array>();
function biasMask(layers: readonly number[]): Uint8Array {
  const key = layers.join(',');
  let mask = maskCache.get(key);
  if (!mask) {
    mask = isBiasMask(layers);
    maskCache.set(key, mask);
  }
  return mask;
}

/** (λ2/2)·Σw² + (λ1/2)·Σ|w| over the non-bias weights. */
export function regularizationPenalty(layers: readonly number[], params: FloatArray, l1: number, l2: number): number {
  if (l1 === 0 && l2 === 0) return 0;
  const mask = biasMask(layers);
  let sq = 0;
  let abs = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) continue;
    const w = params[i];
    sq += w * w;
    abs += Math.abs(w);
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
  const mask = biasMask(layers);
  const regularize = l1 !== 0 || l2 !== 0;
  for (let i = 0; i < mask.length; i++) {
    let g = grad[i];
    if (regularize && !mask[i]) {
      const w = params[i];
      g += l2 * w + (l1 / 2) * Math.sign(w);
    }
    grad[i] = g * scale;
  }
  return (lossSum + regularizationPenalty(layers, params, l1, l2)) * scale;
}

/** J for a batch given Σℓ over its m samples. */
export function costFromLossSum(layers: readonly number[], params: FloatArray, lossSum: number, m: number, options: CostOptions): number {
  const j = lossSum + regularizationPenalty(layers, params, options.l1, options.l2);
  return options.reduction === 'mean' ? j / m : j;
}
