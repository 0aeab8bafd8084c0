import { describe, expect, it } from 'vitest';
import type { ElementwiseActivation } from '../src/activations.js';
import { createWorkspace, gradientSum } from '../src/backprop.js';
import { referenceBackend } from '../src/backends/reference.js';
import { composedDenseBackward, composedDenseForward, denseBackward, denseForward } from '../src/dense-layer.js';
import { outputLoss } from '../src/losses.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import type {
  FloatArray,
  HiddenActivation,
  LabeledSamples,
  LossName,
  ModelSpec,
  OutputActivation,
} from '../src/types.js';
import { fastBackends } from './fixtures/fast-backends.js';

/**
 * What the tests use of Float32Array and Float64Array: a union of the two constructor types has
 * no callable `from` (its overloads differ), so name the shared shape.
 */
interface Ctor {
  new (length: number): FloatArray;
  from(source: ArrayLike<unknown>, map: (value: unknown, index: number) => number): FloatArray;
}
const TYPES: Array<[string, Ctor, number]> = [
  ['float32', Float32Array, 1e-5],
  ['float64', Float64Array, 1e-12],
];
const HIDDEN: HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'swish'];

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i]))))
      expect.fail(`${what}[${i}] = ${actual[i]}, reference ${expected[i]}`);
  }
}

describe('denseForward and denseBackward', () => {
  it('use the primitive operations when the backend has no fused pass', () => {
    const calls: string[] = [];
    const spy = {
      ...referenceBackend,
      gemm: (...args: Parameters<typeof referenceBackend.gemm>) => {
        calls.push('gemm');
        referenceBackend.gemm(...args);
      },
    };
    const x = new Float64Array(2 * 3).fill(1);
    const params = new Float64Array(2 * 4).fill(0.5);
    denseForward(spy, 2, 3, 2, x, params, 0, new Float64Array(4), new Float64Array(4), 'sigmoid');
    expect(calls).toEqual(['gemm']);
  });

  for (const backend of fastBackends) {
    for (const [typeName, Type, tol] of TYPES) {
      for (const [rows, nIn, nOut] of [
        [1, 1, 1],
        [7, 3, 5],
        [33, 17, 10],
        [200, 784, 50],
        [100, 50, 10],
      ]) {
        for (const act of [...HIDDEN, 'identity'] as ElementwiseActivation[]) {
          it(`${backend.name} fused layer ${rows}x${nIn}→${nOut} ${act} ${typeName} equals the composed reference`, () => {
            const rng = new Rng(rows + nIn * 3 + nOut * 7);
            const params = Type.from({ length: 3 + nOut * (nIn + 1) }, () => rng.uniform(-0.5, 0.5));
            const x = Type.from({ length: rows * nIn }, () => rng.uniform(-1, 1));
            const [zr, ar, zf, af] = [
              new Type(rows * nOut),
              new Type(rows * nOut),
              new Type(rows * nOut),
              new Type(rows * nOut),
            ];
            composedDenseForward(referenceBackend, rows, nIn, nOut, x, params, 3, zr, ar, act);
            denseForward(backend, rows, nIn, nOut, x, params, 3, zf, af, act);
            expectClose(zf, zr, tol * nIn, 'z');
            expectClose(af, ar, tol * nIn, 'a');

            const delta = Type.from({ length: rows * nOut }, () => rng.uniform(-1, 1));
            const zIn = Type.from({ length: rows * nIn }, () => rng.uniform(-3, 3));
            const start = Type.from({ length: params.length }, () => rng.uniform(-1, 1));
            const [gr, gf] = [start.slice(), start.slice()];
            const [dr, df] = [new Type(rows * nIn), new Type(rows * nIn)];
            composedDenseBackward(referenceBackend, rows, nIn, nOut, delta, x, zIn, params, 3, gr, dr, act, true);
            denseBackward(backend, rows, nIn, nOut, delta, x, zIn, params, 3, gf, df, act, true);
            expectClose(gf, gr, tol * rows, 'grad');
            expectClose(df, dr, tol * nOut, 'deltaIn');
            denseBackward(backend, rows, nIn, nOut, delta, x, null, params, 3, gf, null, act, true); // input layer: no deltaIn
            composedDenseBackward(referenceBackend, rows, nIn, nOut, delta, x, null, params, 3, gr, null, act, true);
            expectClose(gf, gr, tol * rows, 'grad (second pass)');
            // Overwrite: the W block is replaced, everything outside it kept.
            const [or, of] = [start.slice(), start.slice()];
            composedDenseBackward(referenceBackend, rows, nIn, nOut, delta, x, null, params, 3, or, null, act, false);
            denseBackward(backend, rows, nIn, nOut, delta, x, null, params, 3, of, null, act, false);
            expectClose(of, or, tol * rows, 'grad (overwrite)');
            expect([of[0], of[1], of[2]]).toEqual([start[0], start[1], start[2]]);
          });
        }
      }
    }
  }
});

describe('outputLoss (fused)', () => {
  const pairs: Array<[OutputActivation, LossName]> = [
    ['sigmoid', 'bce'],
    ['softmax', 'ce'],
    ['identity', 'mse'],
    ['sigmoid', 'mse'],
  ];
  for (const backend of fastBackends) {
    for (const [typeName, Type, tol] of TYPES) {
      for (const [output, loss] of pairs) {
        it(`${backend.name} ${output}+${loss} ${typeName} matches losses.ts, with and without an index`, () => {
          const rows = 37;
          const k = 10;
          const rng = new Rng(k + output.length + loss.length);
          const z = Type.from({ length: rows * k }, (_, i) => (i < 4 ? [60, -60, 0, 745][i] : rng.uniform(-8, 8)));
          const labels = Int32Array.from({ length: 50 }, (_, i) => (i * 7) % k);
          const index = Uint32Array.from({ length: 60 }, (_, i) => (i * 13) % 50);
          for (const rowIndex of [null, index]) {
            const [ar, dr, af, df] = [new Type(rows * k), new Type(rows * k), new Type(rows * k), new Type(rows * k)];
            const expected = outputLoss(output, loss, z, ar, dr, rows, k, labels, rowIndex, 5);
            const actual = backend.outputLoss!(output, loss, z, af, df, rows, k, labels, rowIndex, 5);
            expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
            expectClose(af, ar, tol, 'a');
            expectClose(df, dr, tol, 'delta');
            expect(backend.outputLoss!(output, loss, z, af, null, rows, k, labels, rowIndex, 5)).toBe(actual);
          }
        });
      }
    }
  }
});

describe('gradientSum on a fast backend', () => {
  const data = (m: number, features: number): LabeledSamples => ({
    features: Float32Array.from({ length: m * features }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5),
    labels: Int32Array.from({ length: m }, (_, i) => (i * 3) % 10),
    count: m,
    featureCount: features,
    classCount: 10,
  });
  for (const backend of fastBackends) {
    it(`${backend.name} agrees with the reference on a float32 784-50-10 batch, in blocks and shuffled`, () => {
      const spec: ModelSpec = { layers: [784, 50, 10], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };
      const params = new Float32Array(parameterCount(spec.layers));
      initializeParameters(spec.layers, 'uniform', new Rng(1), params, 1);
      const samples = data(300, 784);
      const index = Uint32Array.from(new Rng(2).permutation(300));
      const sel = { index, offset: 20, count: 250 };
      const [gr, gf] = [new Float32Array(params.length), new Float32Array(params.length)];
      const r = gradientSum(referenceBackend, params, samples, sel, gr, createWorkspace(spec, 100));
      const f = gradientSum(backend, params, samples, sel, gf, createWorkspace(spec, 100));
      expect(Math.abs(f.lossSum - r.lossSum)).toBeLessThanOrEqual(1e-5 * r.lossSum);
      let scale = 0;
      for (const g of gr) scale = Math.max(scale, Math.abs(g));
      for (let i = 0; i < gr.length; i++)
        if (!(Math.abs(gf[i] - gr[i]) <= 1e-4 * scale)) expect.fail(`grad[${i}] = ${gf[i]}, reference ${gr[i]}`);
    });
  }
});
