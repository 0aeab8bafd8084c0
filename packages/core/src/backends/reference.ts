/**
 * The plain TypeScript backend: the oracle every faster backend is tested against, and the
 * fallback when none loads. Loop orders keep the innermost loop on contiguous memory:
 *   NT (forward, A·Wᵀ): dot products along rows of both operands;
 *   NN (backward delta·W): axpy of B's rows into C's row;
 *   TN (gradient deltaᵀ·A): axpy over samples into C's rows.
 */
import { activateArray, mulActivationPrime, type ElementwiseActivation } from '../activations.js';
import type { KernelBackend } from '../kernel-backend.js';
import type { FloatArray } from '../types.js';

function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  if (!accumulate) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0) return;
  if (!transA && transB) {
    // C[i,j] += Σ_p A[i,p]·B[j,p]; four accumulators break the add dependency chain.
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * lda;
      const ci = cOff + i * ldc;
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * ldb;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let p = 0;
        for (; p + 3 < k; p += 4) {
          s0 += a[ai + p] * b[bj + p];
          s1 += a[ai + p + 1] * b[bj + p + 1];
          s2 += a[ai + p + 2] * b[bj + p + 2];
          s3 += a[ai + p + 3] * b[bj + p + 3];
        }
        for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
        c[ci + j] += s0 + s1 + (s2 + s3);
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
      if (aip === 0) continue;
      if (!transB) {
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      } else {
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bOff + j * ldb + p];
      }
    }
  }
}

function biasActivation(
  z: FloatArray,
  a: FloatArray,
  rows: number,
  cols: number,
  bias: FloatArray,
  biasOffset: number,
  biasStride: number,
  activation: ElementwiseActivation,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) z[o + j] += bias[biasOffset + j * biasStride];
  }
  activateArray(activation, z, a, rows * cols);
}

function addColumnSums(m: FloatArray, rows: number, cols: number, out: FloatArray, outOffset: number, outStride: number): void {
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += m[r * cols + j];
    out[outOffset + j * outStride] += s;
  }
}

function gatherRows(source: Float32Array, cols: number, index: Uint32Array, indexOffset: number, rows: number, dest: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const from = index[indexOffset + r] * cols;
    dest.set(source.subarray(from, from + cols), r * cols);
  }
}

/** The reference backend. */
export const referenceBackend: KernelBackend = {
  name: 'reference',
  gemm,
  biasActivation,
  mulActivationPrime,
  addColumnSums,
  gatherRows,
};
