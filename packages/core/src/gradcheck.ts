/**
 * Gradient check (Raschka's, ex4's checkNNGradients): centred differences
 * (J(w+ε) − J(w−ε)) / 2ε in float64 for every parameter, compared with backprop by the relative
 * error ‖n − a‖ / (‖n‖ + ‖a‖): ≤ 1e-7 ok, ≤ 1e-4 warning, above that a problem.
 */
import { createWorkspace, gradientSum, lossAndPredictions } from './backprop.js';
import { GRADCHECK_EPSILON, GRADCHECK_OK, GRADCHECK_WARNING } from './constants.js';
import { finishGradient, costFromLossSum } from './cost.js';
import type { KernelBackend } from './kernel-backend.js';
import { parameterCount } from './mlp.js';
import type { CostOptions, LabeledSamples, ModelSpec } from './types.js';

export type GradcheckVerdict = 'ok' | 'warning' | 'problem';

export interface GradcheckResult {
  readonly relativeError: number;
  readonly verdict: GradcheckVerdict;
  readonly numeric: Float64Array;
  readonly analytic: Float64Array;
}

/** The verdict for a relative error under Raschka's thresholds. */
export function gradcheckVerdict(relativeError: number): GradcheckVerdict {
  if (relativeError <= GRADCHECK_OK) return 'ok';
  if (relativeError <= GRADCHECK_WARNING) return 'warning';
  return 'problem';
}

/** Relative error ‖n − a‖ / (‖n‖ + ‖a‖); 0 when both are zero. */
export function relativeError(numeric: Float64Array, analytic: Float64Array): number {
  let diff = 0;
  let nn = 0;
  let na = 0;
  for (let i = 0; i < numeric.length; i++) {
    const d = numeric[i] - analytic[i];
    diff += d * d;
    nn += numeric[i] * numeric[i];
    na += analytic[i] * analytic[i];
  }
  const denom = Math.sqrt(nn) + Math.sqrt(na);
  return denom === 0 ? 0 : Math.sqrt(diff) / denom;
}

/**
 * Checks backprop against centred differences on all of `data` at parameters `params`
 * (copied to float64; `params` itself is not changed).
 */
export function gradientCheck(
  backend: KernelBackend,
  spec: ModelSpec,
  params: ArrayLike<number>,
  data: LabeledSamples,
  cost: CostOptions,
  epsilon: number = GRADCHECK_EPSILON,
): GradcheckResult {
  const P = parameterCount(spec.layers);
  const w = Float64Array.from({ length: P }, (_, i) => params[i]);
  const ws = createWorkspace(spec, data.count, Float64Array);
  const sel = { index: null, offset: 0, count: data.count };
  const costAt = (): number =>
    costFromLossSum(spec.layers, w, lossAndPredictions(backend, w, data, sel, ws).lossSum, data.count, cost);

  const analytic = new Float64Array(P);
  const stats = gradientSum(backend, w, data, sel, analytic, ws);
  finishGradient(spec.layers, w, analytic, stats.lossSum, data.count, cost);

  const numeric = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    const saved = w[i];
    w[i] = saved + epsilon;
    const plus = costAt();
    w[i] = saved - epsilon;
    const minus = costAt();
    w[i] = saved;
    numeric[i] = (plus - minus) / (2 * epsilon);
  }
  const rel = relativeError(numeric, analytic);
  return { relativeError: rel, verdict: gradcheckVerdict(rel), numeric, analytic };
}
