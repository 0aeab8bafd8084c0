/**
 * Contracts shared across packages, threads and processes. Plain data only: everything here
 * must survive structured cloning and msgpack.
 */

/** Float storage the kernels work on: float32 for training, float64 for gradient checks. */
export type FloatArray = Float32Array | Float64Array;

export type HiddenActivation = 'sigmoid' | 'tanh' | 'relu' | 'swish';
export type OutputActivation = 'sigmoid' | 'softmax' | 'identity';
/** bce: binary cross-entropy summed over outputs; ce: categorical cross-entropy; mse: ½Σ(a−y)². */
export type LossName = 'bce' | 'ce' | 'mse';
export type Reduction = 'mean' | 'sum';
export type InitName = 'glorot' | 'uniform' | 'he';
export type DecayUnit = 'epoch' | 'step';

/** The architecture of a multi-layer perceptron: everything needed to lay out its weights. */
export interface ModelSpec {
  /** Layer sizes n_0 … n_L, input first. */
  readonly layers: readonly number[];
  readonly hidden: HiddenActivation;
  readonly output: OutputActivation;
  readonly loss: LossName;
}

/**
 * A labelled sample matrix: `features` is row-major [count × featureCount], `labels[i]` is the
 * class of row i in [0, classCount). The buffers may live in SharedArrayBuffers.
 */
export interface LabeledSamples {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly featureCount: number;
  readonly classCount: number;
}

/** What a gradient computation returns besides the gradient itself (architecture §2: data term only). */
export interface GradientStats {
  /** Σ ℓ_i over the shard, without regularisation. */
  lossSum: number;
  /** Number of samples in the shard. */
  count: number;
}

/** Regularisation and reduction of the cost: J_sum = Σℓ + (λ2/2)Σw² + (λ1/2)Σ|w|. */
export interface CostOptions {
  readonly l1: number;
  readonly l2: number;
  readonly reduction: Reduction;
}
