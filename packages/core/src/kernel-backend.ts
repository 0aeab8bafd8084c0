/**
 * The kernel interface: the few operations training time is spent in (DESIGN §3). A backend
 * implements them for Float32Array (training) and, where it can, Float64Array (gradient checks).
 * Matrices are row-major and addressed as (array, offset, leading dimension) so a weight matrix's
 * bias column 0 and its weight block W[:, 1:] are both reachable without copying.
 */
import type { ElementwiseActivation } from './activations.js';
import type { FloatArray } from './types.js';

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
  mulActivationPrime(activation: ElementwiseActivation, delta: FloatArray, z: FloatArray, a: FloatArray, length: number): void;

  /** out[outOffset + j·outStride] += Σ_r m[r, j] for rows × cols row-major m (bias gradients). */
  addColumnSums(m: FloatArray, rows: number, cols: number, out: FloatArray, outOffset: number, outStride: number): void;

  /**
   * Copies rows `index[indexOffset + r]` (r < rows) of the row-major `source` matrix with
   * `cols` columns into `dest` (rows × cols): the minibatch gather.
   */
  gatherRows(source: Float32Array, cols: number, index: Uint32Array, indexOffset: number, rows: number, dest: FloatArray): void;
}
