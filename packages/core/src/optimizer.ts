/**
 * The optimizer seam: state plus one step (tinygrad's `Optimizer._step`). The coordinator applies
 * one step per minibatch to the regularised, reduced gradient (architecture §4):
 *   sgd    classical or Nesterov momentum on a velocity buffer (optimizers/sgd.ts);
 *   adam   Adam with bias correction (optimizers/adam.ts);
 *   adamw  Adam with decoupled weight decay, w ← w·(1 − η·λ) before the Adam step.
 * Its state is named buffers of one float per parameter plus a step counter, which is all a
 * checkpoint saves; createOptimizer (optimizers/registry.ts) is the one place that maps a name to an
 * implementation.
 * With a kernel backend that has the optimizer's C step, that runs instead, with the same bits.
 */
import type { OptimizerStepPlan } from './optimizers/step-plan.js';

/** The optimizers `--optimizer` offers. */
export const OPTIMIZER_NAMES = Object.freeze(['sgd', 'adam', 'adamw'] as const);
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Everything an optimizer needs to continue exactly (a checkpoint holds this). */
export interface OptimizerState {
  readonly name: OptimizerName;
  /** Steps taken so far (t); Adam's bias correction follows it. */
  readonly stepCount: number;
  /** One float per parameter each: sgd `velocity`; adam and adamw `m` and `v`. */
  readonly buffers: Readonly<Record<string, Float32Array>>;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Steps taken so far. */
  readonly stepCount: number;
  /** The live state buffers (not copies), by name. */
  readonly buffers: Readonly<Record<string, Float32Array>>;
  /**
   * One update of `params` in place from the finished gradient `grad` with learning rate η.
   * @throws RangeError if params or grad is not as long as the state
   */
  step(params: Float32Array, grad: Float32Array, learningRate: number): void;
  /**
   * Counts one step and returns its numbers, for a caller that applies them itself with
   * applyStepPlan, a range of the parameters at a time; step() is planStep plus one whole range.
   */
  planStep(learningRate: number): OptimizerStepPlan;
  /** A copy of the state. */
  state(): OptimizerState;
  /**
   * Continues from a saved state.
   * @throws RangeError if it is another optimizer's or its buffers do not fit
   */
  restore(state: OptimizerState): void;
}

/** How to build an optimizer. Fields another optimizer uses are ignored. */
export interface OptimizerOptions {
  readonly name: OptimizerName;
  /** sgd: momentum α in [0, 1); 0 is plain SGD. */
  readonly momentum: number;
  /** sgd: Nesterov momentum. */
  readonly nesterov: boolean;
  /** adam, adamw: decay of the first moment, in [0, 1) (PyTorch: 0.9). */
  readonly beta1: number;
  /** adam, adamw: decay of the second moment, in [0, 1) (PyTorch: 0.999). */
  readonly beta2: number;
  /** adam, adamw: added to √v̂, > 0 (PyTorch: 1e-8). */
  readonly eps: number;
  /** adamw: decoupled weight decay λ ≥ 0 (PyTorch: 0.01); 0 for the others. */
  readonly weightDecay: number;
}

/**
 * Checks a saved state fits an optimizer: same name, the same buffers, each `size` long, and a
 * step count that is a non-negative integer.
 * @throws RangeError saying what does not fit
 */
export function checkOptimizerState(
  state: OptimizerState,
  name: OptimizerName,
  bufferNames: readonly string[],
  size: number,
): void {
  if (state.name !== name) throw new RangeError(`the saved optimizer state is ${state.name}'s, this run uses ${name}`);
  if (!Number.isInteger(state.stepCount) || state.stepCount < 0)
    throw new RangeError(`the saved optimizer step count must be a non-negative integer, got ${state.stepCount}`);
  const saved = Object.keys(state.buffers).sort().join(', ');
  if (saved !== [...bufferNames].sort().join(', '))
    throw new RangeError(
      `the saved ${name} state holds buffers ${saved || 'none'}, ${name} needs ${bufferNames.join(', ')}`,
    );
  for (const b of bufferNames) {
    if (state.buffers[b].length !== size)
      throw new RangeError(
        `the saved ${name} buffer ${b} holds ${state.buffers[b].length} values, the model has ${size} parameters`,
      );
  }
}

/** Throws unless params and grad are as long as the optimizer's state. */
export function checkStepLengths(size: number, params: Float32Array, grad: Float32Array): void {
  if (params.length !== size || grad.length !== size) {
    throw new RangeError(`optimizer holds ${size} parameters, got params ${params.length} and grad ${grad.length}`);
  }
}
