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
  if (k === 0 || m === 0 || n === 0) return;
  if (!transA && transB) gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  else if (!transB) gemmXN(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  else gemmXT(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
}

/** C += A·Bᵀ: dot products along contiguous rows; 2×2 blocks reuse each loaded value twice. */
function gemmNT(
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
): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = aOff + i * lda;
    const a1 = a0 + lda;
    const c0 = cOff + i * ldc;
    const c1 = c0 + ldc;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = bOff + j * ldb;
      const b1 = b0 + ldb;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const y0 = b[b0 + p];
        const y1 = b[b1 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      c[c0 + j] += s00;
      c[c0 + j + 1] += s01;
      c[c1 + j] += s10;
      c[c1 + j + 1] += s11;
    }
    if (j < n) {
      const b0 = bOff + j * ldb;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < k; p++) {
        s0 += a[a0 + p] * b[b0 + p];
        s1 += a[a1 + p] * b[b0 + p];
      }
      c[c0 + j] += s0;
      c[c1 + j] += s1;
    }
  }
  if (i < m) {
    const a0 = aOff + i * lda;
    const c0 = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      const b0 = bOff + j * ldb;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p] * b[b0 + p];
      c[c0 + j] += s;
    }
  }
}

/**
 * C += op(A)·B with B row-major: each row of C gets rank-1 updates from rows of B, four at a
 * time so every load and store of C serves four multiply-adds.
 */
function gemmXN(
  transA: boolean,
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
): void {
  // Element (i, p) of op(A).
  const rs = transA ? 1 : lda;
  const ps = transA ? lda : 1;
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    const ai = aOff + i * rs;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const x0 = a[ai + p * ps];
      const x1 = a[ai + (p + 1) * ps];
      const x2 = a[ai + (p + 2) * ps];
      const x3 = a[ai + (p + 3) * ps];
      const b0 = bOff + p * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      for (let j = 0; j < n; j++) c[ci + j] += x0 * b[b0 + j] + x1 * b[b1 + j] + (x2 * b[b2 + j] + x3 * b[b3 + j]);
    }
    for (; p < k; p++) {
      const x = a[ai + p * ps];
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
    }
  }
}

/** C += op(A)·Bᵀ for the remaining case (transA with transB): rarely used, kept simple. */
function gemmXT(
  transA: boolean,
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
): void {
  const rs = transA ? 1 : lda;
  const ps = transA ? lda : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aOff + i * rs + p * ps] * b[bOff + j * ldb + p];
      c[cOff + i * ldc + j] += s;
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

function addColumnSums(
  m: FloatArray,
  rows: number,
  cols: number,
  out: FloatArray,
  outOffset: number,
  outStride: number,
): void {
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += m[r * cols + j];
    out[outOffset + j * outStride] += s;
  }
}

function gatherRows(
  source: Float32Array,
  cols: number,
  index: Uint32Array,
  indexOffset: number,
  rows: number,
  dest: FloatArray,
): void {
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
