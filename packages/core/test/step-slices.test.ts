import { describe, expect, it } from 'vitest';
import {
  availableBackends,
  createOptimizer,
  finishGradient,
  parameterCount,
  penaltySums,
  Rng,
  runStepSlice,
  selectBackend,
  stepSlices,
  sumGradients,
  weightRows,
  type KernelBackend,
  type OptimizerOptions,
} from '../src/index.js';

const layers = [13, 9, 6, 3];
const P = parameterCount(layers);
const sgd: OptimizerOptions = {
  name: 'sgd',
  momentum: 0.7,
  nesterov: true,
  beta1: 0,
  beta2: 0,
  eps: 1,
  weightDecay: 0,
};
const adamw: OptimizerOptions = { ...sgd, name: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
}

describe('stepSlices', () => {
  it('covers every parameter once, in order, cut on weight-row boundaries', () => {
    const rows = weightRows(layers);
    const starts = new Set(Array.from({ length: rows.length / 2 }, (_, q) => rows[2 * q] - 1));
    for (const count of [1, 2, 3, 7, 40]) {
      const slices = stepSlices(layers, count);
      expect(slices).toHaveLength(count);
      let next = 0;
      let row = 0;
      for (const s of slices) {
        expect([s.from, s.rowFrom]).toEqual([next, row]);
        if (s.to > s.from) expect(starts.has(s.from)).toBe(true);
        next = s.to;
        row = s.rowTo;
      }
      expect([next, row]).toEqual([P, rows.length / 2]);
    }
    expect(() => stepSlices(layers, 0)).toThrow('count must be a positive integer, got 0');
  });
});

describe('runStepSlice', () => {
  const backends: (KernelBackend | null)[] = [null, ...availableBackends().map((n) => selectBackend(n))];
  it('gives the bits of a whole sum, finishGradient and optimizer step for any slicing', () => {
    for (const backend of backends) {
      for (const opt of [sgd, adamw]) {
        for (const [l1, l2] of [
          [0, 0],
          [0.01, 0.02],
        ]) {
          const parts = [random(P, 1), random(P, 2), random(P, 3)];
          // Whole, on this thread: star sum, finishGradient, step.
          const params = random(P, 4);
          const whole = createOptimizer(P, opt, backend);
          const total = new Float32Array(P);
          sumGradients(parts, total, backend);
          const cost = finishGradient(layers, params, total, 5, 10, { l1, l2, reduction: 'mean' }, backend);
          whole.step(params, total, 0.1);
          for (const count of [1, 2, 5]) {
            const label = `${backend?.name ?? 'TypeScript'} ${opt.name} l1=${l1} ${count} slices`;
            const p = random(P, 4);
            const sliced = createOptimizer(P, opt, backend);
            const t = parts[0].slice();
            const [sq, abs] = penaltySums(layers, p, l1, l2);
            expect((5 + ((l2 / 2) * sq + (l1 / 2) * abs)) * 0.1, label).toBe(cost);
            const plan = sliced.planStep(0.1);
            for (const slice of stepSlices(layers, count))
              runStepSlice(
                {
                  slice,
                  layers,
                  parts: [t, parts[1], parts[2]],
                  total: t,
                  params: p,
                  finish: true,
                  l1,
                  l2,
                  scale: 0.1,
                  plan,
                  buffers: sliced.buffers,
                },
                backend,
              );
            expect(Buffer.from(p.buffer).equals(Buffer.from(params.buffer)), label).toBe(true);
            for (const name of Object.keys(whole.buffers))
              expect(
                Buffer.from(sliced.buffers[name].buffer).equals(Buffer.from(whole.buffers[name].buffer)),
                label,
              ).toBe(true);
          }
        }
      }
    }
  });
});
