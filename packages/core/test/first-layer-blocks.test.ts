import { describe, expect, it } from 'vitest';
import { createWorkspace, gradientSum } from '../src/backprop.js';
import { blockUnitsFor, BLOCK_MIN_WORK, blockedDenseForward, unitBlockEnds } from '../src/first-layer-blocks.js';
import { denseForward } from '../src/dense-layer.js';
import { availableBackends, selectBackend } from '../src/kernels.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import type { LabeledSamples, ModelSpec } from '../src/types.js';

// Every backend that loads here (native ISAs, wasm, reference): each must give the blocked
// first layer the bits of the whole one, with its own kernels.
const backends = availableBackends().filter((name) => name !== 'native' && name !== 'wasm');

function randomData(count: number, features: number, classes: number, seed: number): LabeledSamples {
  const rng = new Rng(seed);
  const x = new Float32Array(count * features);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(0, 1);
  const labels = Int32Array.from({ length: count }, () => Math.floor(rng.uniform(0, classes)) % classes);
  return { features: x, labels, count, featureCount: features, classCount: classes };
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const specs: ModelSpec[] = [
  { layers: [53, 37, 9], hidden: 'sigmoid', output: 'softmax', loss: 'ce' },
  { layers: [31, 70, 12, 5], hidden: 'relu', output: 'sigmoid', loss: 'bce' },
];

describe('gradientSum with a streamed first layer', () => {
  for (const name of backends) {
    for (const spec of specs) {
      it(`${name} ${spec.layers.join('-')}: row-blocked ∂W_1 and blocked forward equal the whole layer byte for byte`, () => {
        const backend = selectBackend(name);
        const P = parameterCount(spec.layers);
        const params = new Float32Array(P);
        initializeParameters(spec.layers, 'glorot', new Rng(7), params);
        const data = randomData(90, spec.layers[0], spec.layers[spec.layers.length - 1], 3);
        const index = Uint32Array.from({ length: 90 }, (_, i) => (i * 37) % 90);
        // 90 samples in blocks of 32 (the streamed block is the last, accumulated onto two) and in one block.
        for (const capacity of [32, 128]) {
          for (const count of [1, 5, 90]) {
            const sel = { index, offset: 0, count };
            const whole = new Float32Array(P);
            const expected = gradientSum(backend, params, data, sel, whole, createWorkspace(spec, capacity));
            for (const blockUnits of [1, 3, 8, 32, 1000]) {
              const blocked = new Float32Array(P).fill(Number.NaN);
              const awaited: number[] = [];
              const ready: number[] = [];
              const stats = gradientSum(backend, params, data, sel, blocked, createWorkspace(spec, capacity), false, {
                blockUnits,
                awaitParams: (end) => awaited.push(end),
                onGradReady: (end) => ready.push(end),
              });
              expect(stats.lossSum).toBe(expected.lossSum);
              expect(bytes(blocked).equals(bytes(whole))).toBe(true);
              // Reports grow in layout order and end with the whole vector; waits end at P too.
              expect(ready.at(-1)).toBe(P);
              expect(awaited.at(-1)).toBe(P);
              for (let i = 1; i < ready.length; i++) expect(ready[i]).toBeGreaterThan(ready[i - 1]);
              for (let i = 1; i < awaited.length; i++) expect(awaited[i]).toBeGreaterThan(awaited[i - 1]);
            }
          }
        }
      });
    }
  }

  it('reports the first layer in several blocks before the end, so a chain has something to send early', () => {
    const spec = specs[0];
    const P = parameterCount(spec.layers);
    const params = new Float32Array(P);
    initializeParameters(spec.layers, 'glorot', new Rng(1), params);
    const data = randomData(200, spec.layers[0], 9, 5);
    const ready: number[] = [];
    gradientSum(
      selectBackend('reference'),
      params,
      data,
      { index: null, offset: 0, count: 200 },
      new Float32Array(P),
      createWorkspace(spec, 256),
      false,
      { blockUnits: 8, onGradReady: (end) => ready.push(end) },
    );
    // 37 units in blocks of 8: 5 blocks of W_1 (ending at unit 8, 16, 24, 32, 37), then P.
    expect(ready).toEqual([8, 16, 24, 32, 37].map((u) => u * 54).concat([P]));
  });
});

describe('blockedDenseForward', () => {
  it('equals denseForward on every backend when out is z and when it is not', () => {
    for (const name of backends) {
      const backend = selectBackend(name);
      const [rows, nIn, nOut] = [17, 40, 29];
      const rng = new Rng(11);
      const x = Float32Array.from({ length: rows * nIn }, () => rng.uniform(-1, 1));
      const params = Float32Array.from({ length: nOut * (nIn + 1) + 3 }, () => rng.uniform(-1, 1));
      for (const separate of [true, false]) {
        const z1 = new Float32Array(rows * nOut);
        const o1 = separate ? new Float32Array(rows * nOut) : z1;
        denseForward(backend, rows, nIn, nOut, x, params, 3, z1, o1, 'tanh');
        for (const units of [1, 6, 29]) {
          const z2 = new Float32Array(rows * nOut);
          const o2 = separate ? new Float32Array(rows * nOut) : z2;
          blockedDenseForward(backend, rows, nIn, nOut, x, params, 3, z2, o2, 'tanh', units, {}, null);
          expect(bytes(z2).equals(bytes(z1)), `${name} z, ${units} units`).toBe(true);
          expect(bytes(o2).equals(bytes(o1)), `${name} out, ${units} units`).toBe(true);
        }
      }
    }
  });
});

describe('blockUnitsFor', () => {
  it('never makes a block smaller than the small-call threshold unless the layer is', () => {
    expect(blockUnitsFor(1, 10, 1000, 4)).toBe(Math.ceil(BLOCK_MIN_WORK / 10));
    expect(blockUnitsFor(1000, 784, 512, 32)).toBe(32);
    expect(blockUnitsFor(1, 10, 50, 4)).toBe(50);
    expect(() => blockUnitsFor(10, 10, 10, 0)).toThrow(RangeError);
    // 17·40 = 680 multiply-adds per unit: blocks of at least 7 units, the 5 left over join the last.
    expect(unitBlockEnds(17, 40, 29, 8)).toEqual([8, 16, 29]);
    expect(unitBlockEnds(1000, 784, 512, 32)).toEqual(Array.from({ length: 16 }, (_, i) => 32 * (i + 1)));
  });
});
