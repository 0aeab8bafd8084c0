/**
 * Contracts of the data package. Plain data only, so they survive structured cloning, msgpack
 * and JSON (a scaler is saved next to the model it was trained with).
 */
import type { LabeledSamples } from '@gradswarm/core';

/** A parsed data-set spec; see {@link parseDatasetSpec} for the text forms. */
export type DatasetSpec =
  | { readonly kind: 'mnist' }
  | { readonly kind: 'idx-dir'; readonly dir: string }
  | { readonly kind: 'idx-pair'; readonly images: string; readonly labels: string }
  | { readonly kind: 'csv'; readonly file: string }
  | { readonly kind: 'digits'; readonly file: string };

/** Which half of a data set a caller wants; only `idx:DIR` holds both halves. */
export type DatasetRole = 'train' | 'test';

/** Labelled samples plus where they came from. */
export interface Dataset extends LabeledSamples {
  /** The spec text the data set was loaded from, e.g. `idx:../shared/data/mnist`. */
  readonly name: string;
  /** Human-readable description of the files actually read. */
  readonly source: string;
  /** Class names, when the file names its classes (a CSV with string labels). */
  readonly classNames?: readonly string[];
}

/** How features are rescaled: not at all, to [0, 1] per feature, or to zero mean and unit variance. */
export type ScalerKind = 'none' | 'minmax' | 'standard';

/**
 * Per-feature affine map fitted on training data: `x' = (x − offset[j]) · factor[j]`.
 * minmax: offset = min, factor = 1/(max − min); standard: offset = mean, factor = 1/std
 * (population std, as scikit-learn's StandardScaler). A constant feature gets factor 1.
 */
export interface Scaler {
  readonly kind: ScalerKind;
  readonly featureCount: number;
  readonly offset: readonly number[];
  readonly factor: readonly number[];
}

/** One contiguous run of a permutation: positions [start, start + count). */
export interface Bounds {
  readonly start: number;
  readonly count: number;
}
