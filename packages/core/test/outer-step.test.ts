import { describe, expect, it } from 'vitest';
import { replicaSampleCount, replicaShare, type LocalRoundPlan } from '../src/local-round.js';
import { createOuterOptimizer, OUTER_DEFAULTS, outerGradient, outerStep } from '../src/outer-step.js';

describe('outerStep', () => {
  it('takes DiLoCo’s outer Nesterov step on the mean change, by hand over two rounds', () => {
    // Two replicas, two parameters, μ = 0.9, η = 0.7.
    // Round 1: start w = (1, 2); changes (start − end) (0.2, −0.4) and (0.4, 0.0):
    //   g1 = mean = (0.3, −0.2); v1 = η·g1 = (0.21, −0.14);
    //   w1 = w − (μ·v1 + η·g1) = (1 − (0.189 + 0.21), 2 − (−0.126 − 0.14)) = (0.601, 2.266)
    // Round 2: changes (0.1, 0.1) and (0.3, −0.1): g2 = (0.2, 0); v2 = μ·v1 + η·g2 = (0.329, −0.126);
    //   w2 = w1 − (μ·v2 + η·g2) = (0.601 − (0.2961 + 0.14), 2.266 − (−0.1134)) = (0.1649, 2.3794)
    const opt = createOuterOptimizer(2, { name: 'nesterov', learningRate: 0.7, momentum: 0.9 });
    const w = Float32Array.of(1, 2);
    outerStep(opt, w, Float32Array.of(0.2 + 0.4, -0.4 + 0), 2, 0.7);
    expect(w[0]).toBeCloseTo(0.601, 6);
    expect(w[1]).toBeCloseTo(2.266, 6);
    expect(opt.buffers.velocity[0]).toBeCloseTo(0.21, 6);
    outerStep(opt, w, Float32Array.of(0.1 + 0.3, 0.1 - 0.1), 2, 0.7);
    expect(w[0]).toBeCloseTo(0.1649, 5);
    expect(w[1]).toBeCloseTo(2.3794, 5);
    expect(opt.buffers.velocity[1]).toBeCloseTo(-0.126, 6);
  });

  it('is the replicas’ plain average with sgd’s defaults (η 1, μ 0)', () => {
    const { learningRate, momentum } = OUTER_DEFAULTS.sgd;
    const opt = createOuterOptimizer(2, { name: 'sgd', learningRate, momentum });
    // Replica ends (0.5, 1) and (1.5, 3) from start (2, 2): changes (1.5, 1) and (0.5, −1).
    const w = Float32Array.of(2, 2);
    outerStep(opt, w, Float32Array.of(1.5 + 0.5, 1 - 1), 2, learningRate);
    expect([...w]).toEqual([1, 2]);
  });

  it('averages in place and refuses a replica count that is not a positive integer', () => {
    const sum = Float32Array.of(3, -6);
    expect(outerGradient(sum, 3)).toBe(sum);
    expect([...sum]).toEqual([1, -2]);
    expect(() => outerGradient(sum, 0)).toThrow('replicas must be a positive integer, got 0');
  });
});

describe('replicaShare', () => {
  it('cuts a minibatch as numpy’s array_split does, the first count mod R shares one longer', () => {
    const shares = [0, 1, 2, 3].map((r) => replicaShare({ offset: 10, count: 10 }, 4, r));
    expect(shares).toEqual([
      { offset: 10, count: 3 },
      { offset: 13, count: 3 },
      { offset: 16, count: 2 },
      { offset: 18, count: 2 },
    ]);
    expect(replicaShare({ offset: 0, count: 2 }, 4, 3)).toEqual({ offset: 2, count: 0 });
  });

  it('counts a replica’s samples over the round', () => {
    const plan: LocalRoundPlan = {
      replicas: 4,
      steps: [
        { offset: 0, count: 10 },
        { offset: 10, count: 7 },
      ],
      learningRates: [0.1, 0.1],
      momentum: 0,
      nesterov: false,
      cost: { l1: 0, l2: 0, reduction: 'mean' },
    };
    expect([0, 1, 2, 3].map((r) => replicaSampleCount(plan, r))).toEqual([5, 5, 4, 3]);
  });
});
