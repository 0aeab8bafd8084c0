import { describe, expect, it } from 'vitest';
import { finishGradient, resolveCostOptions, weightRows } from '../src/cost.js';
import { sumGradients } from '../src/gradient-sum.js';
import type { KernelBackend } from '../src/kernel-backend.js';
import { parameterCount } from '../src/mlp.js';
import type { Optimizer, OptimizerOptions } from '../src/optimizer.js';
import { createOptimizer } from '../src/optimizers/registry.js';
import { Rng } from '../src/rng.js';
import type { CostOptions } from '../src/types.js';
import { fastBackends } from './fixtures/fast-backends.js';

function randomArray(rng: Rng, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.nextFloat() * 2 - 1) * scale;
  return a;
}

const SGD: OptimizerOptions = {
  name: 'sgd',
  momentum: 0.9,
  nesterov: false,
  beta1: 0,
  beta2: 0,
  eps: 0,
  weightDecay: 0,
};
const ADAM: OptimizerOptions = {
  name: 'adam',
  momentum: 0,
  nesterov: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
};

/**
 * The step update as plain loops, written out independently of gradient-sum.ts, cost.ts and
 * optimizers/ (an sgd step; finishGradient is cost.ts's own TypeScript, tested in cost's tests).
 */
function separatePasses(
  layers: number[],
  parts: Float32Array[],
  params: Float32Array,
  velocity: Float32Array,
  o: { momentum: number; nesterov: boolean },
  lossSum: number,
  m: number,
  cost: CostOptions,
  lr: number,
): { grad: Float32Array; cost: number } {
  const grad = new Float32Array(params.length);
  if (parts.length > 0) grad.set(parts[0]);
  for (let s = 1; s < parts.length; s++) for (let i = 0; i < grad.length; i++) grad[i] += parts[s][i];
  const j = finishGradient(layers, params, grad, lossSum, m, cost);
  for (let i = 0; i < params.length; i++) {
    const g = lr * grad[i];
    velocity[i] = o.momentum * velocity[i] + g;
    params[i] -= o.nesterov ? o.momentum * velocity[i] + g : velocity[i];
  }
  return { grad, cost: j };
}

/** The three seams in turn, each on `backend`'s C kernel when it has one (null: TypeScript). */
function update(
  backend: KernelBackend | null,
  layers: number[],
  parts: Float32Array[],
  grad: Float32Array,
  params: Float32Array,
  optimizer: Optimizer,
  lossSum: number,
  m: number,
  cost: CostOptions,
  lr: number,
): number {
  sumGradients(parts, grad, backend);
  const j = finishGradient(layers, params, grad, lossSum, m, cost, backend);
  optimizer.step(params, grad, lr);
  return j;
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

// null: the TypeScript passes; then every backend that has the native step-update kernels.
const updaters: Array<KernelBackend | null> = [
  null,
  ...fastBackends.filter((b) => b.sumGradients && b.finishGradient && b.sgdStep && b.adamStep),
];

describe('the step update (sumGradients → finishGradient → optimizer step)', () => {
  it('has native step-update kernels to test where the addon is built', () => {
    expect(updaters.length).toBeGreaterThanOrEqual(1);
  });

  // [5, 3] fits one block; [300, 40, 7]: rows of 301, so blocks of 8192 parameters end inside
  // layer 1 and the last one is short; [9000, 3, 2]: each row larger than a block.
  const shapes = [
    [5, 3],
    [300, 40, 7],
    [9000, 3, 2],
  ];
  const costs: Array<Partial<CostOptions>> = [{}, { l2: 0.3 }, { l1: 0.2, l2: 0.05 }, { l1: 0.4, reduction: 'sum' }];
  for (const backend of updaters) {
    const name = backend?.name ?? 'typescript';
    for (const layers of shapes) {
      for (const c of costs) {
        for (const nesterov of [false, true]) {
          for (const nParts of [0, 1, 3]) {
            it(`${name}: sgd bit for bit the separate passes, ${layers.join('-')}, ${JSON.stringify(c)}, ${nesterov ? 'nesterov' : 'classical'}, ${nParts} parts`, () => {
              const rng = new Rng(layers.length * 31 + nParts);
              const P = parameterCount(layers);
              const params = randomArray(rng, P, 0.5);
              params[7] = 0; // Math.sign(+0) and sign(−0) take their own paths through the L1 term
              params[9] = -0;
              const parts = Array.from({ length: nParts }, () => randomArray(rng, P, 3));
              const cost = resolveCostOptions(c);
              const velocity = new Float32Array(P);
              const opt = createOptimizer(P, { ...SGD, nesterov }, backend);
              const paramsB = params.slice();
              // Two steps, so the velocity of the first enters the second.
              for (let step = 0; step < 2; step++) {
                const expected = separatePasses(
                  layers,
                  parts,
                  params,
                  velocity,
                  { momentum: 0.9, nesterov },
                  12.5,
                  64,
                  cost,
                  0.07,
                );
                const grad = new Float32Array(P).fill(Number.NaN); // every entry must be written
                const j = update(backend, layers, parts, grad, paramsB, opt, 12.5, 64, cost, 0.07);
                expect(j).toBe(expected.cost);
                expect(firstDifference(grad, expected.grad)).toBeNull();
                expect(firstDifference(paramsB, params)).toBeNull();
                expect(firstDifference(opt.buffers.velocity, velocity)).toBeNull();
              }
            });
          }
        }
      }
    }

    if (backend !== null) {
      for (const layers of shapes) {
        for (const o of [
          ADAM,
          { ...ADAM, beta1: 0.5, beta2: 0.8, eps: 1e-3 },
          { ...ADAM, name: 'adamw' as const, weightDecay: 0.01 },
          { ...ADAM, name: 'adamw' as const, weightDecay: 3 },
        ]) {
          it(`${name}: ${o.name} step bit for bit the TypeScript, ${layers.join('-')}, β ${o.beta1}/${o.beta2}, λ ${o.weightDecay}`, () => {
            const rng = new Rng(layers.length * 7 + Math.round(o.weightDecay * 100));
            const P = parameterCount(layers);
            const params = randomArray(rng, P, 0.5);
            params[3] = 0;
            params[4] = -0;
            const paramsB = params.slice();
            const ts = createOptimizer(P, o, null);
            const c = createOptimizer(P, o, backend);
            // Five steps: the running products β1ᵗ, β2ᵗ and the moments carry over.
            for (let t = 0; t < 5; t++) {
              const grad = randomArray(rng, P, 2);
              grad[5] = 0;
              grad[6] = -0;
              ts.step(params, grad, 0.01 * (t + 1));
              c.step(paramsB, grad, 0.01 * (t + 1));
              expect(firstDifference(paramsB, params)).toBeNull();
              expect(firstDifference(c.buffers.m, ts.buffers.m)).toBeNull();
              expect(firstDifference(c.buffers.v, ts.buffers.v)).toBeNull();
            }
          });
        }
      }
    }

    it(`${name}: sums in place when the first part is the gradient buffer`, () => {
      const layers = [300, 40, 7];
      const P = parameterCount(layers);
      const rng = new Rng(5);
      const params = randomArray(rng, P, 0.5);
      const parts = [randomArray(rng, P, 1), randomArray(rng, P, 1)];
      const expected = separatePasses(
        layers,
        parts,
        params.slice(),
        new Float32Array(P),
        { momentum: 0.5, nesterov: false },
        1,
        10,
        resolveCostOptions({ l2: 0.1 }),
        0.1,
      );
      update(
        backend,
        layers,
        parts,
        parts[0],
        params.slice(),
        createOptimizer(P, { ...SGD, momentum: 0.5 }, backend),
        1,
        10,
        resolveCostOptions({ l2: 0.1 }),
        0.1,
      );
      expect(firstDifference(parts[0], expected.grad)).toBeNull();
    });

    it(`${name}: sums the parts in the order given, not in any other`, () => {
      // (1e8 + 1 + −1e8) differs from (1e8 + −1e8 + 1) in float32: the order is observable.
      const parts = [Float32Array.of(1e8, 0), Float32Array.of(1, 0), Float32Array.of(-1e8, 0)];
      const run = (order: Float32Array[]): number => {
        const grad = new Float32Array(2);
        sumGradients(order, grad, backend);
        return grad[0];
      };
      expect(run(parts)).toBe(0);
      expect(run([parts[0], parts[2], parts[1]])).toBe(1);
    });
  }

  it('refuses buffers of the wrong length', () => {
    const P = parameterCount([5, 3]);
    for (const backend of updaters) {
      expect(() => sumGradients([new Float32Array(P - 1)], new Float32Array(P), backend)).toThrow(RangeError);
      const opt = createOptimizer(P, SGD, backend);
      expect(() => opt.step(new Float32Array(P), new Float32Array(P - 1), 0.1)).toThrow(RangeError);
    }
  });
});

describe('native step-update argument checks', () => {
  const native = fastBackends.find((b) => b.finishGradient);
  it.skipIf(!native)(
    'throws instead of touching memory for rows that do not tile the parameters, or bad arrays',
    () => {
      const layers = [5, 3];
      const P = parameterCount(layers);
      const rows = weightRows(layers);
      const f = (): Float32Array => new Float32Array(P);
      const finish = (r: Int32Array, params = f(), grad = f(), sums = new Float64Array(2)): void =>
        native!.finishGradient!(r, params, grad, 0.1, 0.1, 1, sums);
      expect(() => finish(rows)).not.toThrow();
      const gap = rows.slice();
      gap[2] += 1; // a hole between two rows
      expect(() => finish(gap)).toThrow(RangeError);
      const past = rows.slice();
      past[past.length - 1] = P + 100; // past the end
      expect(() => finish(past)).toThrow(RangeError);
      expect(() => finish(rows, f(), new Float32Array(P - 1))).toThrow(RangeError);
      expect(() => finish(rows, f(), f(), new Float64Array(1))).toThrow(TypeError);

      const sum = (parts: unknown, out = f()): void => native!.sumGradients!(parts as Float32Array[], out);
      expect(() => sum([f(), f()])).not.toThrow();
      expect(() => sum(f())).toThrow(TypeError); // parts not an array
      expect(() => sum([new Float64Array(P)])).toThrow(TypeError);
      expect(() => sum([new Float32Array(P + 1)])).toThrow(RangeError);

      expect(() => native!.sgdStep!(f(), f(), new Float32Array(P - 1), 0.1, 0.9, false)).toThrow(RangeError);
      expect(() => native!.sgdStep!(f(), new Float64Array(P) as unknown as Float32Array, f(), 0.1, 0.9, false)).toThrow(
        TypeError,
      );
      expect(() =>
        native!.adamStep!(f(), f(), f(), new Float32Array(P + 1), 0.1, 0.9, 0.999, 1e-8, 0.1, 0.001, 1),
      ).toThrow(RangeError);
    },
  );
});
