/**
 * The coordinator's per-step update: sum the shard gradients in shard order, add regularisation
 * and apply the reduction (finishGradient), then one momentum step (MomentumSgd.step). In
 * TypeScript these are three passes over the parameters; a backend with `stepUpdate` does all of
 * it in one pass in C, several times faster (scripts/bench-step-update.mjs), with exactly the
 * same arithmetic, so which of the two runs never changes a bit of the trained model or cost.
 */
import { finishGradient, weightRows } from './cost.js';
import type { KernelBackend } from './kernel-backend.js';
import type { MomentumSgd } from './optimizer.js';
import type { CostOptions } from './types.js';

const sums = new Float64Array(2);

/**
 * grad ← Σ parts (parts[0] first; it may be grad itself), finished as finishGradient does, then
 * one optimizer step on params with learning rate η. Returns J for the batch.
 * @param backend uses its `stepUpdate` when it has one (null: TypeScript)
 * @param lossSum Σℓ_i over the m samples
 * @param m samples the sums cover (the global batch size)
 * @throws RangeError if a buffer's length is not the parameter count
 */
export function reduceAndUpdate(
  backend: KernelBackend | null,
  layers: readonly number[],
  parts: readonly Float32Array[],
  grad: Float32Array,
  params: Float32Array,
  optimizer: MomentumSgd,
  lossSum: number,
  m: number,
  options: CostOptions,
  learningRate: number,
): number {
  const P = params.length;
  if (grad.length !== P || optimizer.velocity.length !== P || parts.some((p) => p.length !== P)) {
    throw new RangeError(`reduceAndUpdate: params ${P}, grad ${grad.length}, velocity ${optimizer.velocity.length}, parts ${parts.map((p) => p.length).join(',')} must all be equal`);
  }
  const { l1, l2, reduction } = options;
  if (backend?.stepUpdate) {
    const scale = reduction === 'mean' ? 1 / m : 1;
    backend.stepUpdate(weightRows(layers), parts, grad, params, optimizer.velocity, l1, l2, scale, learningRate, optimizer.momentum, optimizer.nesterov, sums);
    // finishGradient's closing expression, on the same sums.
    return (lossSum + ((l2 / 2) * sums[0] + (l1 / 2) * sums[1])) * scale;
  }
  if (parts.length === 0) grad.fill(0);
  else if (parts[0] !== grad) grad.set(parts[0]);
  for (let s = 1; s < parts.length; s++) {
    const p = parts[s];
    for (let i = 0; i < P; i++) grad[i] += p[i];
  }
  const cost = finishGradient(layers, params, grad, lossSum, m, options);
  optimizer.step(params, grad, learningRate);
  return cost;
}
