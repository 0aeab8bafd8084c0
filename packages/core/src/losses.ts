/**
 * Output layer and loss, fused: from the output pre-activations z_L of a batch and the labels,
 * compute a_L, the summed loss Σℓ_i and delta_L = ∂ℓ/∂z_L. Targets are one-hot rows built from
 * integer labels on the fly (no target matrix in memory).
 *
 * Pairs and their delta:
 *   sigmoid + bce : ℓ = −Σ_k [y log a + (1−y) log(1−a)],  delta = a − y
 *   softmax + ce  : ℓ = −log a_y,                         delta = a − y
 *   identity|sigmoid + mse : ℓ = ½Σ_k (a − y)²,          delta = (a − y)·g'(z)
 * The logs are evaluated from z (softplus, log-sum-exp) so a saturated output never gives ∞.
 */
import { sigmoid } from './activations.js';
import type { FloatArray, LossName, OutputActivation } from './types.js';

/** Which output activation goes with which loss. */
export const VALID_OUTPUT_LOSS: Readonly<Record<LossName, readonly OutputActivation[]>> = {
  bce: ['sigmoid'],
  ce: ['softmax'],
  mse: ['identity', 'sigmoid'],
};

/** The loss a given output activation uses unless told otherwise. */
export const DEFAULT_LOSS_FOR_OUTPUT: Readonly<Record<OutputActivation, LossName>> = {
  sigmoid: 'bce',
  softmax: 'ce',
  identity: 'mse',
};

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Turns z (rows × k, row-major) into a = g(z) in place of `a` and returns Σℓ over the rows; when
 * `delta` is given, also writes ∂ℓ/∂z there. `labels[labelOffset + r]` is row r's class, unless
 * `rowIndex` is given, in which case row r's label is `labels[rowIndex[r]]`.
 */
export function outputLoss(
  output: OutputActivation,
  loss: LossName,
  z: FloatArray,
  a: FloatArray,
  delta: FloatArray | null,
  rows: number,
  k: number,
  labels: Int32Array,
  rowIndex: Uint32Array | null,
  rowIndexOffset: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const y = rowIndex === null ? labels[rowIndexOffset + r] : labels[rowIndex[rowIndexOffset + r]];
    const o = r * k;
    if (output === 'softmax') {
      let max = -Infinity;
      for (let j = 0; j < k; j++) if (z[o + j] > max) max = z[o + j];
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp(z[o + j] - max);
        a[o + j] = e;
        sum += e;
      }
      for (let j = 0; j < k; j++) a[o + j] /= sum;
      // softmax pairs only with ce (VALID_OUTPUT_LOSS): −log a_y = logsumexp(z) − z_y
      total += max + Math.log(sum) - z[o + y];
      if (delta !== null) {
        for (let j = 0; j < k; j++) delta[o + j] = a[o + j] - (j === y ? 1 : 0);
      }
      continue;
    }
    for (let j = 0; j < k; j++) {
      const zj = z[o + j];
      const t = j === y ? 1 : 0;
      const aj = output === 'sigmoid' ? sigmoid(zj) : zj;
      a[o + j] = aj;
      if (loss === 'bce') {
        // −[t log σ(z) + (1−t) log(1−σ(z))] = softplus(z) − t·z
        total += softplus(zj) - t * zj;
        if (delta !== null) delta[o + j] = aj - t;
      } else {
        const diff = aj - t;
        total += 0.5 * diff * diff;
        if (delta !== null) delta[o + j] = output === 'sigmoid' ? diff * aj * (1 - aj) : diff;
      }
    }
  }
  return total;
}
