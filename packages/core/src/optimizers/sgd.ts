/**
 * SGD with classical or Nesterov momentum:
 *   classical:  v ← α·v + η·g,   w ← w − v          (Δw_t = η∇J + αΔw_{t−1})
 *   nesterov:   v ← α·v + η·g,   w ← w − (α·v + η·g)
 * State: the velocity. The C step (native sgdStep) has the same arithmetic.
 */
import type { KernelBackend } from '../kernel-backend.js';
import { checkOptimizerState, checkStepLengths, type Optimizer, type OptimizerState } from '../optimizer.js';

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
  ) {
    if (!(options.momentum >= 0 && options.momentum < 1)) {
      throw new RangeError(`options.momentum must be in [0, 1), got ${options.momentum}`);
    }
    this.buffers = { velocity: new Float32Array(size) };
    this.momentum = options.momentum;
    this.nesterov = options.nesterov;
  }

  step(params: Float32Array, grad: Float32Array, learningRate: number): void {
    const v = this.buffers.velocity;
    checkStepLengths(v.length, params, grad);
    this.stepCount++;
    const alpha = this.momentum;
    if (this.backend?.sgdStep) {
      this.backend.sgdStep(params, grad, v, learningRate, alpha, this.nesterov);
    } else if (this.nesterov) {
      for (let i = 0; i < v.length; i++) {
        const g = learningRate * grad[i];
        v[i] = alpha * v[i] + g;
        params[i] -= alpha * v[i] + g;
      }
    } else {
      for (let i = 0; i < v.length; i++) {
        v[i] = alpha * v[i] + learningRate * grad[i];
        params[i] -= v[i];
      }
    }
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
