/**
 * Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), as tinygrad and PyTorch write them:
 *   t ← t + 1;  β1ᵗ ← β1ᵗ⁻¹·β1,  β2ᵗ ← β2ᵗ⁻¹·β2     (running products, not powers)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)
 *   w ← w·(1 − η·λ) − η·m̂ / (√v̂ + ε)              (λ: adamw's weight decay; 0 for adam)
 * The bias corrections are running products so the TypeScript and the C step (native adamStep),
 * given the same two doubles, agree bit for bit; restore() rebuilds them by the same
 * multiplications. Decoupled weight decay, like PyTorch's AdamW, applies to every parameter
 * (bias columns too); the cost's L2 term (regularisation, before the step) never does.
 * m and v are stored as float32, rounded at each store; everything else is double.
 */
import type { KernelBackend } from '../kernel-backend.js';
import { checkOptimizerState, checkStepLengths, type Optimizer, type OptimizerState } from '../optimizer.js';
import { applyStepPlan, type OptimizerStepPlan } from './step-plan.js';

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (adamw only). */
  readonly weightDecay: number;
}

const inUnit = (x: number): boolean => x >= 0 && x < 1;

export class AdamOptimizer implements Optimizer {
  readonly buffers: { readonly m: Float32Array; readonly v: Float32Array };
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  /** β1ᵗ and β2ᵗ as running products. */
  private beta1Power = 1;
  private beta2Power = 1;

  /**
   * @param size number of parameters
   * @throws RangeError for betas outside [0, 1), eps ≤ 0, a negative weight decay, or a weight decay with adam
   */
  constructor(
    size: number,
    readonly name: 'adam' | 'adamw',
    options: AdamOptions,
    private readonly backend: KernelBackend | null = null,
    allocate: (length: number) => Float32Array = (n) => new Float32Array(n),
  ) {
    if (!inUnit(options.beta1)) throw new RangeError(`options.beta1 must be in [0, 1), got ${options.beta1}`);
    if (!inUnit(options.beta2)) throw new RangeError(`options.beta2 must be in [0, 1), got ${options.beta2}`);
    if (!(Number.isFinite(options.eps) && options.eps > 0))
      throw new RangeError(`options.eps must be a finite number > 0, got ${options.eps}`);
    if (!(Number.isFinite(options.weightDecay) && options.weightDecay >= 0))
      throw new RangeError(`options.weightDecay must be a finite number >= 0, got ${options.weightDecay}`);
    if (name === 'adam' && options.weightDecay !== 0)
      throw new RangeError(
        'options.weightDecay is for adamw (decoupled weight decay); adam takes L2 through options.l2',
      );
    this.buffers = { m: allocate(size), v: allocate(size) };
    this.beta1 = options.beta1;
    this.beta2 = options.beta2;
    this.eps = options.eps;
    this.weightDecay = options.weightDecay;
  }

  step(params: Float32Array, grad: Float32Array, learningRate: number): void {
    checkStepLengths(this.buffers.m.length, params, grad);
    applyStepPlan(this.planStep(learningRate), this.buffers, params, grad, 0, params.length, this.backend);
  }

  planStep(learningRate: number): OptimizerStepPlan {
    this.stepCount++;
    this.beta1Power *= this.beta1;
    this.beta2Power *= this.beta2;
    const { beta1, beta2, eps } = this;
    return {
      name: this.name,
      learningRate,
      beta1,
      beta2,
      eps,
      correction1: 1 - this.beta1Power,
      correction2: 1 - this.beta2Power,
      // Exactly 1 for adam, and w·1 is w.
      decay: 1 - learningRate * this.weightDecay,
    };
  }

  state(): OptimizerState {
    return {
      name: this.name,
      stepCount: this.stepCount,
      buffers: { m: this.buffers.m.slice(), v: this.buffers.v.slice() },
    };
  }

  restore(state: OptimizerState): void {
    checkOptimizerState(state, this.name, ['m', 'v'], this.buffers.m.length);
    this.buffers.m.set(state.buffers.m);
    this.buffers.v.set(state.buffers.v);
    this.stepCount = state.stepCount;
    // The same multiplications as stepCount steps made, so the bits are the same.
    this.beta1Power = 1;
    this.beta2Power = 1;
    for (let t = 0; t < state.stepCount; t++) {
      this.beta1Power *= this.beta1;
      this.beta2Power *= this.beta2;
    }
  }
}
