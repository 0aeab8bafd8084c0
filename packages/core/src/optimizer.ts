/**
 * SGD with classical or Nesterov momentum, applied once per step by the coordinator:
 *   classical:  v ← α·v + η·g,   w ← w − v          (Δw_t = η∇J + αΔw_{t−1})
 *   nesterov:   v ← α·v + η·g,   w ← w − (α·v + η·g)
 * The velocity is the optimizer's whole state; it is saved in checkpoints.
 */
import type { FloatArray } from './types.js';

export interface MomentumOptions {
  /** α in [0, 1). 0 gives plain SGD. */
  readonly momentum: number;
  readonly nesterov: boolean;
}

export class MomentumSgd {
  readonly velocity: Float32Array;
  readonly momentum: number;
  readonly nesterov: boolean;

  /**
   * @param size number of parameters
   * @throws RangeError if momentum is outside [0, 1)
   */
  constructor(size: number, options: MomentumOptions) {
    if (!(options.momentum >= 0 && options.momentum < 1)) {
      throw new RangeError(`options.momentum must be in [0, 1), got ${options.momentum}`);
    }
    this.velocity = new Float32Array(size);
    this.momentum = options.momentum;
    this.nesterov = options.nesterov;
  }

  /** Applies one update with learning rate η to `params` in place. */
  step(params: FloatArray, grad: FloatArray, learningRate: number): void {
    const v = this.velocity;
    const alpha = this.momentum;
    if (params.length !== v.length || grad.length !== v.length) {
      throw new RangeError(`optimizer holds ${v.length} parameters, got params ${params.length} and grad ${grad.length}`);
    }
    if (this.nesterov) {
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
}
