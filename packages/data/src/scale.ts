/**
 * Per-feature rescaling, fitted on the training set and applied unchanged to the training and
 * the test set (fitting on test data would leak it). Parameters are computed in float64.
 */
import type { LabeledSamples } from '@gradswarm/core';
import type { Scaler, ScalerKind } from './types.js';

const SCALER_KINDS: readonly ScalerKind[] = ['none', 'minmax', 'standard'];

/**
 * Fits a scaler to `samples`. A constant feature (min = max, including every feature of an empty
 * set) gets factor 1, so it maps to 0 under minmax and standard and nothing divides by zero.
 * @param kind 'none' (identity), 'minmax' (to [0, 1]) or 'standard' (zero mean, unit population variance)
 * @throws TypeError if kind is not one of those
 */
export function fitScaler(kind: ScalerKind, samples: LabeledSamples): Scaler {
  if (!SCALER_KINDS.includes(kind)) {
    throw new TypeError(`kind must be 'none', 'minmax' or 'standard', got ${String(kind)}`);
  }
  const { features, count, featureCount } = samples;
  const offset = new Array<number>(featureCount).fill(0);
  const factor = new Array<number>(featureCount).fill(1);
  if (kind === 'none' || count === 0) return freeze({ kind, featureCount, offset, factor });
  const min = new Float64Array(featureCount).fill(Infinity);
  const max = new Float64Array(featureCount).fill(-Infinity);
  const sum = new Float64Array(featureCount);
  for (let i = 0; i < count; i++) {
    const row = i * featureCount;
    for (let j = 0; j < featureCount; j++) {
      const x = features[row + j];
      if (x < min[j]) min[j] = x;
      if (x > max[j]) max[j] = x;
      sum[j] += x;
    }
  }
  if (kind === 'minmax') {
    for (let j = 0; j < featureCount; j++) {
      offset[j] = min[j];
      if (max[j] > min[j]) factor[j] = 1 / (max[j] - min[j]);
    }
    return freeze({ kind, featureCount, offset, factor });
  }
  // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly.
  const squares = new Float64Array(featureCount);
  for (let j = 0; j < featureCount; j++) offset[j] = sum[j] / count;
  for (let i = 0; i < count; i++) {
    const row = i * featureCount;
    for (let j = 0; j < featureCount; j++) {
      const d = features[row + j] - offset[j];
      squares[j] += d * d;
    }
  }
  for (let j = 0; j < featureCount; j++) {
    // Decided on min/max, not on the variance: a constant column's float64 mean can be off by an
    // ulp, which would leave a tiny non-zero variance and a huge factor.
    if (max[j] > min[j]) factor[j] = 1 / Math.sqrt(squares[j] / count);
    else offset[j] = min[j];
  }
  return freeze({ kind, featureCount, offset, factor });
}

/**
 * Applies a fitted scaler: new labelled samples with a new features array (the labels array is
 * shared, not copied).
 * @throws RangeError if the scaler was fitted on a different number of features
 */
export function applyScaler(scaler: Scaler, samples: LabeledSamples): LabeledSamples {
  const { count, featureCount } = samples;
  if (scaler.featureCount !== featureCount) {
    throw new RangeError(`scaler was fitted on ${scaler.featureCount} features but the samples have ${featureCount}`);
  }
  const src = samples.features;
  const out = new Float32Array(count * featureCount);
  if (scaler.kind === 'none') {
    out.set(src.subarray(0, count * featureCount));
  } else {
    const { offset, factor } = scaler;
    for (let i = 0; i < count; i++) {
      const row = i * featureCount;
      for (let j = 0; j < featureCount; j++) out[row + j] = (src[row + j] - offset[j]) * factor[j];
    }
  }
  return { ...samples, features: out };
}

function freeze(s: { kind: ScalerKind; featureCount: number; offset: number[]; factor: number[] }): Scaler {
  Object.freeze(s.offset);
  Object.freeze(s.factor);
  return Object.freeze(s);
}
