import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.js';
import type { ElementwiseActivation } from '../src/activations.js';
import { Rng } from '../src/rng.js';
import type { FloatArray } from '../src/types.js';
import { fastBackends, NATIVE_REQUIRED, productBound, U32, U64 } from './fixtures/fast-backends.js';

/**
 * What the tests use of Float32Array and Float64Array: a union of the two constructor types has
 * no callable `from` (its overloads differ), so name the shared shape.
 */
interface Ctor {
  new (length: number): FloatArray;
  from(source: ArrayLike<unknown>, map: (value: unknown, index: number) => number): FloatArray;
}
const TYPES: Array<[string, Ctor, number]> = [
  ['float32', Float32Array, U32],
  ['float64', Float64Array, U64],
];
const ACTIVATIONS: ElementwiseActivation[] = ['identity', 'sigmoid', 'tanh', 'relu', 'swish'];

/** Exact (float64) op(A)·op(B) of the stored values, and Σ|a·b| per element for the error bound. */
function oracle(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
) {
  const value = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x =
          (tA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]) * (tB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j]);
        s += x;
        t += Math.abs(x);
      }
      value[i * n + j] = s;
      abs[i * n + j] = t;
    }
  return { value, abs };
}

// Odd sizes around the 6×16 micro-tile, the k blocking and the training shapes.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 17, 3],
  [3, 17, 5],
  [17, 3, 1],
  [6, 16, 8],
  [8, 9, 511],
  [33, 10, 31],
  [511, 3, 17],
  [7, 1, 1000],
  [200, 50, 784],
  [50, 97, 200],
  [145, 300, 700],
  [1000, 10, 64],
  // panel heights 5 and 4 (10, 20, 25, 50 rows), in both orientations
  [50, 50, 40],
  [20, 25, 9],
  [10, 512, 33],
  [512, 10, 17],
  [4, 16, 12],
  [5, 16, 9],
];

describe('fast backends', () => {
  it('include the native addon on this machine', () => {
    if (!NATIVE_REQUIRED) return;
    expect(fastBackends.map((b) => b.name)).toContain('native-portable');
  });

  for (const backend of fastBackends) {
    describe(`${backend.name}.gemm`, () => {
      for (const [typeName, Type, u] of TYPES) {
        for (const [m, n, k] of SHAPES) {
          it(`matches the oracle on ${m}x${n}x${k} ${typeName}, every transpose, overwrite and accumulate`, () => {
            const rng = new Rng(m * 7919 + n * 31 + k);
            for (const [tA, tB] of [
              [false, false],
              [false, true],
              [true, false],
              [true, true],
            ] as const) {
              const lda = (tA ? m : k) + 2;
              const ldb = (tB ? k : n) + 1;
              const ldc = n + 3;
              const a = Type.from({ length: (tA ? k : m) * lda + 3 }, () => rng.uniform(-1, 1));
              const b = Type.from({ length: (tB ? n : k) * ldb + 1 }, () => rng.uniform(-1, 1));
              const { value, abs } = oracle(tA, tB, m, n, k, a, 3, lda, b, 1, ldb);
              const start = Type.from({ length: m * ldc + 2 }, () => rng.uniform(-1, 1));
              for (const accumulate of [false, true]) {
                const c = start.slice();
                backend.gemm(tA, tB, m, n, k, a, 3, lda, b, 1, ldb, c, 2, ldc, accumulate);
                for (let i = 0; i < m; i++) {
                  for (let j = 0; j < ldc; j++) {
                    const at = 2 + i * ldc + j;
                    if (j >= n) {
                      expect(c[at]).toBe(start[at]); // padding between rows untouched
                      continue;
                    }
                    const base = accumulate ? start[at] : 0;
                    const exact = base + value[i * n + j];
                    const bound = productBound(k, abs[i * n + j] + Math.abs(base), u);
                    if (!(Math.abs(c[at] - exact) <= bound))
                      expect.fail(
                        `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} acc=${accumulate} C[${i},${j}] = ${c[at]}, exact ${exact} ± ${bound}`,
                      );
                  }
                }
                expect([c[0], c[1]]).toEqual([start[0], start[1]]); // before C untouched
              }
            }
          });
        }
      }

      it('writes zeros for k = 0 and leaves C alone when accumulating', () => {
        const c = new Float32Array([1, 2, 3, 4]);
        backend.gemm(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 0, 2, true);
        expect([...c]).toEqual([1, 2, 3, 4]);
        backend.gemm(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 0, 2, false);
        expect([...c]).toEqual([0, 0, 0, 0]);
      });

      it('gives the same bits every time for the same inputs', () => {
        const rng = new Rng(5);
        const a = Float32Array.from({ length: 300 * 784 }, () => rng.uniform(-1, 1));
        const b = Float32Array.from({ length: 100 * 784 }, () => rng.uniform(-1, 1));
        const c1 = new Float32Array(300 * 100);
        const c2 = new Float32Array(300 * 100);
        backend.gemm(false, true, 300, 100, 784, a, 0, 784, b, 0, 784, c1, 0, 100, false);
        backend.gemm(false, true, 300, 100, 784, a, 0, 784, b, 0, 784, c2, 0, 100, false);
        expect(Buffer.from(c1.buffer).equals(Buffer.from(c2.buffer))).toBe(true);
      });
    });

    describe(`${backend.name} element-wise kernels`, () => {
      for (const [typeName, Type, u] of TYPES) {
        const tol = typeName === 'float32' ? 8 * u : 64 * u;
        for (const length of [1, 7, 8, 9, 17, 1000]) {
          for (const act of ACTIVATIONS) {
            it(`biasActivation and mulActivationPrime match the reference for ${act}, ${length} values, ${typeName}`, () => {
              const rng = new Rng(length + act.length);
              const cols = Math.min(length, 13);
              const rows = Math.ceil(length / cols);
              const n = rows * cols;
              const special = [0, -0, 1e-4, -1e-4, 0.29, 0.31, -5, 5, 30, -30, 90, -90, 200, -200];
              const z0 = Type.from({ length: n }, (_, i) => special[i] ?? rng.uniform(-12, 12));
              const bias = Type.from({ length: 1 + cols * 3 }, () => rng.uniform(-1, 1));
              const [zr, ar, zf, af] = [z0.slice(), new Type(n), z0.slice(), new Type(n)];
              referenceBackend.biasActivation(zr, ar, rows, cols, bias, 1, 3, act);
              backend.biasActivation(zf, af, rows, cols, bias, 1, 3, act);
              for (let i = 0; i < n; i++) {
                expect(zf[i]).toBe(zr[i]); // z + bias is one rounding either way
                if (!(Math.abs(af[i] - ar[i]) <= tol * (1 + Math.abs(ar[i]))))
                  expect.fail(`${act}(${zr[i]}) = ${af[i]}, reference ${ar[i]}`);
              }
              const d0 = Type.from({ length: n }, () => rng.uniform(-2, 2));
              const [dr, df] = [d0.slice(), d0.slice()];
              referenceBackend.mulActivationPrime(act, dr, zr, ar, n);
              backend.mulActivationPrime(act, df, zr, ar, n);
              for (let i = 0; i < n; i++) {
                if (!(Math.abs(df[i] - dr[i]) <= tol * (1 + Math.abs(dr[i]))))
                  expect.fail(`${act}'(${zr[i]})·${d0[i]} = ${df[i]}, reference ${dr[i]}`);
              }
            });
          }
        }

        it(`addColumnSums matches the reference (${typeName})`, () => {
          const rng = new Rng(3);
          for (const [rows, cols] of [
            [1, 1],
            [7, 3],
            [200, 50],
            [3, 517],
          ]) {
            const m = Type.from({ length: rows * cols }, () => rng.uniform(-1, 1));
            const [outR, outF] = [
              Type.from({ length: 2 + cols * 2 }, (_, i) => i),
              Type.from({ length: 2 + cols * 2 }, (_, i) => i),
            ];
            referenceBackend.addColumnSums(m, rows, cols, outR, 2, 2);
            backend.addColumnSums(m, rows, cols, outF, 2, 2);
            for (let i = 0; i < outR.length; i++)
              expect(Math.abs(outF[i] - outR[i])).toBeLessThanOrEqual(2 * rows * u * (rows + Math.abs(outR[i])));
          }
        });

        it(`gatherRows copies exactly the indexed rows (${typeName})`, () => {
          const source = Float32Array.from({ length: 9 * 5 }, (_, i) => i * 0.5);
          const index = Uint32Array.from([8, 0, 3, 3, 7]);
          const [r, f] = [new Type(4 * 5), new Type(4 * 5)];
          referenceBackend.gatherRows(source, 5, index, 1, 4, r);
          backend.gatherRows(source, 5, index, 1, 4, f);
          expect([...f]).toEqual([...r]);
        });
      }
    });
  }
});
