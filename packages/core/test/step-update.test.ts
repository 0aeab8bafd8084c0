import { describe, expect, it } from 'vitest';
import { finishGradient, resolveCostOptions, weightRows } from '../src/cost.js';
import type { KernelBackend } from '../src/kernel-backend.js';
import { parameterCount } from '../src/mlp.js';
import { MomentumSgd } from '../src/optimizer.js';
import { Rng } from '../src/rng.js';
import { reduceAndUpdate } from '../src/step-update.js';
import type { CostOptions } from '../src/types.js';
import { fastBackends } from './fixtures/fast-backends.js';

function randomArray(rng: Rng, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.nextFloat() * 2 - 1) * scale;
  return a;
}

/** The update as three separate passes, written out independently of step-update.ts. */
function separatePasses(layers: number[], parts: Float32Array[], params: Float32Array, opt: MomentumSgd, lossSum: number, m: number, cost: CostOptions, lr: number): { grad: Float32Array; cost: number } {
  const grad = new Float32Array(params.length);
  if (parts.length > 0) grad.set(parts[0]);
  for (let s = 1; s < parts.length; s++) for (let i = 0; i < grad.length; i++) grad[i] += parts[s][i];
  const j = finishGradient(layers, params, grad, lossSum, m, cost);
  opt.step(params, grad, lr);
  return { grad, cost: j };
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Index and bits of the first entry whose bits differ, or null (cheaper than a deep equal of 27k entries). */
function firstDifference(a: Float32Array, b: Float32Array): string | null {
  const x = bits(a);
  const y = bits(b);
  if (x.length !== y.length) return `lengths ${x.length} and ${y.length}`;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `[${i}]: ${a[i]} and ${b[i]}`;
  return null;
}

// null: the TypeScript passes; then every backend that has a native stepUpdate.
const updaters: Array<KernelBackend | null> = [null, ...fastBackends.filter((b) => b.stepUpdate)];

describe('reduceAndUpdate', () => {
  it('has a native stepUpdate to test where the addon is built', () => {
    expect(updaters.length).toBeGreaterThanOrEqual(1);
  });

  // [5, 3] fits one block; [300, 40, 7]: rows of 301, so blocks of 8192 parameters end inside
  // layer 1 and the last one is short; [9000, 3, 2]: each row larger than a block.
  const shapes = [[5, 3], [300, 40, 7], [9000, 3, 2]];
  const costs: Array<Partial<CostOptions>> = [{}, { l2: 0.3 }, { l1: 0.2, l2: 0.05 }, { l1: 0.4, reduction: 'sum' }];
  for (const backend of updaters) {
    for (const layers of shapes) {
      for (const c of costs) {
        for (const nesterov of [false, true]) {
          for (const nParts of [0, 1, 3]) {
            it(`${backend?.name ?? 'typescript'}: bit for bit the separate passes, ${layers.join('-')}, ${JSON.stringify(c)}, ${nesterov ? 'nesterov' : 'classical'}, ${nParts} parts`, () => {
              const rng = new Rng(layers.length * 31 + nParts);
              const P = parameterCount(layers);
              const params = randomArray(rng, P, 0.5);
              params[7] = 0; // Math.sign(+0) and sign(−0) take their own paths through the L1 term
              params[9] = -0;
              const parts = Array.from({ length: nParts }, () => randomArray(rng, P, 3));
              const cost = resolveCostOptions(c);
              const optA = new MomentumSgd(P, { momentum: 0.9, nesterov });
              const optB = new MomentumSgd(P, { momentum: 0.9, nesterov });
              const paramsB = params.slice();
              // Two steps, so the velocity of the first enters the second.
              for (let step = 0; step < 2; step++) {
                const expected = separatePasses(layers, parts, params, optA, 12.5, 64, cost, 0.07);
                const grad = new Float32Array(P).fill(Number.NaN); // every entry must be written
                const j = reduceAndUpdate(backend, layers, parts, grad, paramsB, optB, 12.5, 64, cost, 0.07);
                expect(j).toBe(expected.cost);
                expect(firstDifference(grad, expected.grad)).toBeNull();
                expect(firstDifference(paramsB, params)).toBeNull();
                expect(firstDifference(optB.velocity, optA.velocity)).toBeNull();
              }
            });
          }
        }
      }
    }

    it(`${backend?.name ?? 'typescript'}: sums in place when the first part is the gradient buffer`, () => {
      const layers = [300, 40, 7];
      const P = parameterCount(layers);
      const rng = new Rng(5);
      const params = randomArray(rng, P, 0.5);
      const parts = [randomArray(rng, P, 1), randomArray(rng, P, 1)];
      const expected = separatePasses(layers, parts, params.slice(), new MomentumSgd(P, { momentum: 0.5, nesterov: false }), 1, 10, resolveCostOptions({ l2: 0.1 }), 0.1);
      reduceAndUpdate(backend, layers, parts, parts[0], params.slice(), new MomentumSgd(P, { momentum: 0.5, nesterov: false }), 1, 10, resolveCostOptions({ l2: 0.1 }), 0.1);
      expect(firstDifference(parts[0], expected.grad)).toBeNull();
    });

    it(`${backend?.name ?? 'typescript'}: sums the parts in the order given, not in any other`, () => {
      // (1e8 + 1 + −1e8) differs from (1e8 + −1e8 + 1) in float32: the order is observable.
      const layers = [1, 1]; // one bias and one weight
      const parts = [Float32Array.of(1e8, 0), Float32Array.of(1, 0), Float32Array.of(-1e8, 0)];
      const run = (order: Float32Array[]): number => {
        const grad = new Float32Array(2);
        reduceAndUpdate(backend, layers, order, grad, new Float32Array(2), new MomentumSgd(2, { momentum: 0, nesterov: false }), 0, 1, resolveCostOptions({ reduction: 'sum' }), 1);
        return grad[0];
      };
      expect(run(parts)).toBe(0);
      expect(run([parts[0], parts[2], parts[1]])).toBe(1);
    });
  }

  it('refuses buffers of the wrong length', () => {
    const P = parameterCount([5, 3]);
    const opt = new MomentumSgd(P, { momentum: 0, nesterov: false });
    for (const backend of updaters) {
      expect(() => reduceAndUpdate(backend, [5, 3], [new Float32Array(P - 1)], new Float32Array(P), new Float32Array(P), opt, 0, 1, resolveCostOptions(), 0.1)).toThrow(RangeError);
    }
  });
});

describe('native stepUpdate argument checks', () => {
  const native = fastBackends.find((b) => b.stepUpdate);
  it.skipIf(!native)('throws instead of touching memory for rows that do not tile the parameters, or bad arrays', () => {
    const layers = [5, 3];
    const P = parameterCount(layers);
    const rows = weightRows(layers);
    const f = (): Float32Array => new Float32Array(P);
    const call = (r: Int32Array, parts: unknown, grad = f(), params = f(), velocity = f(), sums = new Float64Array(2)): void =>
      native!.stepUpdate!(r, parts as Float32Array[], grad, params, velocity, 0.1, 0.1, 1, 0.1, 0.9, false, sums);
    expect(() => call(rows, [f()])).not.toThrow();
    const gap = rows.slice();
    gap[2] += 1; // a hole between two rows
    expect(() => call(gap, [f()])).toThrow(RangeError);
    const past = rows.slice();
    past[past.length - 1] = P + 100; // past the end
    expect(() => call(past, [f()])).toThrow(RangeError);
    expect(() => call(rows, f())).toThrow(TypeError); // parts not an array
    expect(() => call(rows, [new Float64Array(P)])).toThrow(TypeError);
    expect(() => call(rows, [new Float32Array(P + 1)])).toThrow(RangeError);
    expect(() => call(rows, [f()], new Float32Array(P - 1))).toThrow(RangeError);
    expect(() => call(rows, [f()], f(), f(), f(), new Float64Array(1))).toThrow(TypeError);
  });
});
