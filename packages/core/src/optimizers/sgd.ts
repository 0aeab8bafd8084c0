/**
 * SGD with classical or Nesterov momentum:
 *   classical:  v ← α·v + η·g,   w ← w − v          (Δw_t = η∇J + αΔw_{t−1})
 *   nesterov:   v ← α·v + η·g,   w ← w − (α·v + η·g)
 * State: the velocity. The C step (native sgdStep) has the same arithmetic.
 */
import type { KernelBackend } from '../kernel-backend.js';
import { checkOptimizerState, checkStepLengths, type Optimizer, type OptimizerState } from '../optimizer.js';
import { applyStepPlan, type OptimizerStepPlan } from './step-plan.js';

export class SgdOptimizer implements Optimizer {
  readonly name = 'sgd';
  readonly buffers: { readonly velocity: Float32Array };
  readonly momentum: number;
  readonly nesterov: boolean;
  stepCount = 0;

  /**
   * @param size number of parameters
   * @throws RangeError if momentum is outside [0, 1)
   */
  constructor(
    size: number,
    options: { readonly momentum: number; readonly nesterov: boolean },
    private readonly backend: KernelBackend | null = null,
    allocate: (length: number) => Float32Array = (n) => new Float32Array(n),
  ) {
    if (!(options.momentum >= 0 && options.momentum < 1)) {
      throw new RangeError(`options.momentum must be in [0, 1), got ${options.momentum}`);
    }
    this.buffers = { velocity: allocate(size) };
    this.momentum = options.momentum;
    this.nesterov = options.nesterov;
  }

  step(params: Float32Array, grad: Float32Array, learningRate: number): void {
    checkStepLengths(this.buffers.velocity.length, params, grad);
    applyStepPlan(this.planStep(learningRate), this.buffers, params, grad, 0, params.length, this.backend);
  }

  planStep(learningRate: number): OptimizerStepPlan {
    this.stepCount++;
    return { name: 'sgd', learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }

  state(): OptimizerState {
    return { name: this.name, stepCount: this.stepCount, buffers: { velocity: this.buffers.velocity.slice() } };
  }

  restore(state: OptimizerState): void {
    checkOptimizerState(state, this.name, ['velocity'], this.buffers.velocity.length);
    this.buffers.velocity.set(state.buffers.velocity);
    this.stepCount = state.stepCount;
  }
}
