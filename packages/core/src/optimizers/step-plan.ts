/**
 * One optimizer step as data: the numbers a step uses, fixed before any parameter is touched,
 * and the elementwise arithmetic that applies them to a range of the parameters. Every element's
 * update depends only on its own values, so stepping the parameters in slices (a pool's threads
 * each taking one) gives the bits of one whole step. sgd.ts and adam.ts step through here too.
 */
import type { KernelBackend } from '../kernel-backend.js';

/** What one step of sgd, adam or adamw applies, computed once per step by the optimizer. */
export type OptimizerStepPlan =
  | {
      readonly name: 'sgd';
      readonly learningRate: number;
      readonly momentum: number;
      readonly nesterov: boolean;
    }
  | {
      readonly name: 'adam' | 'adamw';
      readonly learningRate: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      /** 1 − β1ᵗ and 1 − β2ᵗ. */
      readonly correction1: number;
      readonly correction2: number;
      /** 1 − η·weightDecay (exactly 1 for adam). */
      readonly decay: number;
    };

/**
 * Applies `plan` to params[from, to) from grad[from, to), updating the state buffers' same range
 * (sgd: `velocity`; adam, adamw: `m` and `v`).
 * @param backend runs the optimizer's C step when it has one (same bits; null: TypeScript)
 */
export function applyStepPlan(
  plan: OptimizerStepPlan,
  buffers: Readonly<Record<string, Float32Array>>,
  params: Float32Array,
  grad: Float32Array,
  from: number,
  to: number,
  backend: KernelBackend | null = null,
): void {
  const whole = from === 0 && to === params.length;
  const range = (a: Float32Array): Float32Array => (whole ? a : a.subarray(from, to));
  const w = range(params);
  const g = range(grad);
  if (plan.name === 'sgd') sgdRange(plan, range(buffers.velocity), w, g, backend);
  else adamRange(plan, range(buffers.m), range(buffers.v), w, g, backend);
}

function sgdRange(
  plan: Extract<OptimizerStepPlan, { name: 'sgd' }>,
  v: Float32Array,
  params: Float32Array,
  grad: Float32Array,
  backend: KernelBackend | null,
): void {
  const { learningRate, momentum: alpha, nesterov } = plan;
  if (backend?.sgdStep) {
    backend.sgdStep(params, grad, v, learningRate, alpha, nesterov);
  } else if (nesterov) {
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

function adamRange(
  plan: Extract<OptimizerStepPlan, { name: 'adam' | 'adamw' }>,
  m: Float32Array,
  v: Float32Array,
  params: Float32Array,
  grad: Float32Array,
  backend: KernelBackend | null,
): void {
  const { learningRate, beta1, beta2, eps, correction1: c1, correction2: c2, decay } = plan;
  if (backend?.adamStep) {
    backend.adamStep(params, grad, m, v, learningRate, beta1, beta2, eps, c1, c2, decay);
    return;
  }
  const ob1 = 1 - beta1;
  const ob2 = 1 - beta2;
  for (let i = 0; i < m.length; i++) {
    const g = grad[i];
    // Math.fround: the value of `m[i] = x` is x itself, not the float32 stored.
    const mi = Math.fround(beta1 * m[i] + ob1 * g);
    const vi = Math.fround(beta2 * v[i] + ob2 * (g * g));
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i] * decay - learningRate * (mi / c1 / (Math.sqrt(vi / c2) + eps));
  }
}
