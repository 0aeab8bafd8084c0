import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.js';
import { Rng } from '../src/rng.js';

/** C = op(A)·op(B) by the definition, in float64. */
function naive(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  lda: number,
  b: Float64Array,
  ldb: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * n + j] = s;
    }
  return c;
}

describe('referenceBackend.gemm', () => {
  const rng = new Rng(7);
  const shapes = [
    [1, 1, 1],
    [3, 17, 5],
    [17, 3, 1],
    [8, 9, 511],
    [33, 10, 31],
  ];
  for (const [m, n, k] of shapes) {
    for (const [tA, tB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`computes ${m}x${n}x${k} with transA=${tA} transB=${tB}, overwrite and accumulate`, () => {
        const lda = (tA ? m : k) + 2;
        const ldb = (tB ? k : n) + 1;
        const a = Float64Array.from({ length: (tA ? k : m) * lda }, () => rng.uniform(-1, 1));
        const b = Float64Array.from({ length: (tB ? n : k) * ldb }, () => rng.uniform(-1, 1));
        const expected = naive(tA, tB, m, n, k, a, lda, b, ldb);
        const ldc = n + 3;
        const c = new Float64Array(m * ldc + 1).fill(5);
        referenceBackend.gemm(tA, tB, m, n, k, a, 0, lda, b, 0, ldb, c, 1, ldc, false);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) expect(c[1 + i * ldc + j]).toBeCloseTo(expected[i * n + j], 12);
        expect(c[0]).toBe(5); // outside C untouched
        referenceBackend.gemm(tA, tB, m, n, k, a, 0, lda, b, 0, ldb, c, 1, ldc, true);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) expect(c[1 + i * ldc + j]).toBeCloseTo(2 * expected[i * n + j], 12);
      });
    }
  }
});
