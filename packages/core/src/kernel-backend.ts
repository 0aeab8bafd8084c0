/**
 * The kernel interface: the few operations training time is spent in (architecture §3). A backend
 * implements them for Float32Array (training) and, where it can, Float64Array (gradient checks).
 * Matrices are row-major and addressed as (array, offset, leading dimension) so a weight matrix's
 * bias column 0 and its weight block W[:, 1:] are both reachable without copying.
 *
 * The optional `dense*` and `outputLoss` operations are fused passes a fast backend may add: one call
 * per layer and direction, the bias and activation applied to each block of the product while it
 * is still in cache, the activation derivative folded into the backward delta, and the gradient
 * accumulated straight into the caller's buffer. backprop.ts uses them when present and the
 * primitive operations otherwise; both paths agree within rounding.
 */
import type { ElementwiseActivation } from './activations.js';
import type { FloatArray, LossName, OutputActivation } from './types.js';

export interface KernelBackend {
  /** Short name reported to the user: `reference`, `native-avx2`, `wasm-simd`, … */
  readonly name: string;

  /**
   * C[m×n] = op(A)·op(B), or C += op(A)·op(B) when `accumulate`.
   * op(A) is A[m×k] (transA false, lda ≥ k) or A[k×m]ᵀ (transA true, lda ≥ m); likewise B.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    aOffset: number,
    lda: number,
    b: FloatArray,
    bOffset: number,
    ldb: number,
    c: FloatArray,
    cOffset: number,
    ldc: number,
    accumulate: boolean,
  ): void;

  /**
   * Fused forward epilogue: z[r, j] += bias[biasOffset + j·biasStride], then a[r, j] = g(z[r, j]),
   * for rows × cols row-major (z and a may be the same array for identity).
   */
  biasActivation(
    z: FloatArray,
    a: FloatArray,
    rows: number,
    cols: number,
    bias: FloatArray,
    biasOffset: number,
    biasStride: number,
    activation: ElementwiseActivation,
  ): void;

  /** delta[i] *= g'(z[i]) for i < length (a = g(z) is given for the cheap derivative forms). */
  mulActivationPrime(
    activation: ElementwiseActivation,
    delta: FloatArray,
    z: FloatArray,
    a: FloatArray,
    length: number,
  ): void;

  /** out[outOffset + j·outStride] += Σ_r m[r, j] for rows × cols row-major m (bias gradients). */
  addColumnSums(m: FloatArray, rows: number, cols: number, out: FloatArray, outOffset: number, outStride: number): void;

  /**
   * Copies rows `index[indexOffset + r]` (r < rows) of the row-major `source` matrix with
   * `cols` columns into `dest` (rows × cols): the minibatch gather.
   */
  gatherRows(
    source: Float32Array,
    cols: number,
    index: Uint32Array,
    indexOffset: number,
    rows: number,
    dest: FloatArray,
  ): void;

  /**
   * Fused forward layer: z = x·W[:, 1:]ᵀ + W[:, 0] and out = g(z), where W is the nOut × (nIn+1)
   * matrix at `params[offset]` (bias in column 0), x is rows × nIn and z, out are rows × nOut,
   * all row-major; `out` may be `z` (identity). Same result as gemm + biasActivation.
   */
  denseForward?(
    rows: number,
    nIn: number,
    nOut: number,
    x: FloatArray,
    params: FloatArray,
    offset: number,
    z: FloatArray,
    out: FloatArray,
    activation: ElementwiseActivation,
  ): void;

  /**
   * Fused backward layer: the W block of `grad` at `offset` gains deltaᵀ·[1 | x] in place (bias
   * column: the column sums of delta), or is overwritten with it unless `accumulate` (so a
   * gradient needs no zeroing pass first), and when `deltaIn` is given it is overwritten with
   * (delta·W[:, 1:]) ⊙ g'(zIn), the derivative taken from zIn and x = g(zIn) (rows × nIn).
   * Same result as gemm TN + addColumnSums + gemm NN + mulActivationPrime.
   */
  denseBackward?(
    rows: number,
    nIn: number,
    nOut: number,
    delta: FloatArray,
    x: FloatArray,
    zIn: FloatArray | null,
    params: FloatArray,
    offset: number,
    grad: FloatArray,
    deltaIn: FloatArray | null,
    activation: ElementwiseActivation,
    accumulate: boolean,
  ): void;

  /**
   * Fused output layer and loss: the arguments and result of losses.ts's `outputLoss` (a = g(z),
   * Σℓ returned, delta = ∂ℓ/∂z unless null), computed in double precision.
   */
  outputLoss?(
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
  ): number;

  /*
   * Optional: the coordinator's step update in C, one kernel per pass (native addon only). Each
   * must give exactly the bits of the TypeScript it replaces: gradient-sum.ts's sumGradients,
   * cost.ts's finishGradient and the optimizers' steps (optimizers/). No small-call threshold:
   * they run once per step over every parameter.
   */

  /** out = parts[0] + parts[1] + … in that order (zeros for no parts); parts[0] may be out. */
  sumGradients?(parts: readonly Float32Array[], out: Float32Array): void;

  /**
   * cost.ts's finishGradient on grad in place (regularise, scale); the penalty sums Σw² and Σ|w|
   * go to sums[0] and sums[1]. `rows` is cost.ts's weightRows(layers).
   */
  finishGradient?(
    rows: Int32Array,
    params: Float32Array,
    grad: Float32Array,
    l1: number,
    l2: number,
    scale: number,
    sums: Float64Array,
  ): void;

  /** optimizers/sgd.ts's step: classical or Nesterov momentum on params and velocity. */
  sgdStep?(
    params: Float32Array,
    grad: Float32Array,
    velocity: Float32Array,
    learningRate: number,
    momentum: number,
    nesterov: boolean,
  ): void;

  /**
   * optimizers/adam.ts's step on params and the moments m and v: correction1 = 1 − β1^t and
   * correction2 = 1 − β2^t, decay = 1 − η·weightDecay (exactly 1 for Adam).
   */
  adamStep?(
    params: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    learningRate: number,
    beta1: number,
    beta2: number,
    eps: number,
    correction1: number,
    correction2: number,
    decay: number,
  ): void;
}
