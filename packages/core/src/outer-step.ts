/**
 * The outer step of local SGD / DiLoCo (architecture §10): the replicas' weight changes, summed in
 * replica order, averaged into the outer gradient g = start − mean(replica end), and one step of
 * the outer optimizer on the round's start weights:
 *   nesterov  v ← μ·v + η·g,  w ← w − (μ·v + η·g)   (DiLoCo's outer Nesterov, PyTorch's form
 *             with η folded into v, as core's SGD does)
 *   sgd       v ← μ·v + η·g,  w ← w − v             (μ = 0, η = 1: plain averaging of the replicas)
 * The outer optimizer is core's SgdOptimizer, so its state is a checkpoint's `velocity`.
 */
import type { KernelBackend } from './kernel-backend.js';
import { SgdOptimizer } from './optimizers/sgd.js';

export const OUTER_OPTIMIZER_NAMES = Object.freeze(['nesterov', 'sgd'] as const);
export type OuterOptimizerName = (typeof OUTER_OPTIMIZER_NAMES)[number];

export interface OuterOptimizerOptions {
  readonly name: OuterOptimizerName;
  /** η of the outer step, > 0. */
  readonly learningRate: number;
  /** μ in [0, 1). */
  readonly momentum: number;
}

/** DiLoCo's outer Nesterov (η 0.7, μ 0.9); sgd defaults to plain averaging (η 1, μ 0). */
export const OUTER_DEFAULTS: Readonly<Record<OuterOptimizerName, { learningRate: number; momentum: number }>> =
  Object.freeze({
    nesterov: Object.freeze({ learningRate: 0.7, momentum: 0.9 }),
    sgd: Object.freeze({ learningRate: 1, momentum: 0 }),
  });

/** The outer optimizer over `size` parameters. @throws RangeError if μ is outside [0, 1) */
export function createOuterOptimizer(
  size: number,
  options: OuterOptimizerOptions,
  backend: KernelBackend | null = null,
  allocate: (length: number) => Float32Array = (n) => new Float32Array(n),
): SgdOptimizer {
  return new SgdOptimizer(
    size,
    { momentum: options.momentum, nesterov: options.name === 'nesterov' },
    backend,
    allocate,
  );
}

/** In place: Σ of the replicas' changes → their mean, the outer gradient. */
export function outerGradient(deltaSum: Float32Array, replicas: number): Float32Array {
  if (!(Number.isInteger(replicas) && replicas >= 1))
    throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
  for (let i = 0; i < deltaSum.length; i++) deltaSum[i] /= replicas;
  return deltaSum;
}

/**
 * One outer step: `deltaSum` (Σ_r start − end_r, in replica order) becomes the outer gradient
 * (in place) and `params`, the round's start weights, take the optimizer's step.
 */
export function outerStep(
  optimizer: SgdOptimizer,
  params: Float32Array,
  deltaSum: Float32Array,
  replicas: number,
  learningRate: number,
): void {
  optimizer.step(params, outerGradient(deltaSum, replicas), learningRate);
}
