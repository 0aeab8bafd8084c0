import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.js';
import { createWorkspace, gradientSum } from '../src/backprop.js';
import { finishGradient, resolveCostOptions } from '../src/cost.js';
import { ConjugateGradient } from '../src/fullbatch/cg.js';
import { Lbfgs } from '../src/fullbatch/lbfgs.js';
import { cubicMinimizer, quadraticMinimizer, strongWolfeSearch } from '../src/fullbatch/line-search.js';
import { moreThuenteSearch } from '../src/fullbatch/more-thuente.js';
import {
  CountedObjective,
  DEFAULT_FULL_BATCH_OPTIONS,
  dot,
  FULL_BATCH_OPTIMIZER_NAMES,
  type FullBatchMinimizer,
  type Objective,
} from '../src/fullbatch/objective.js';
import { createMinimizer } from '../src/fullbatch/registry.js';
import { TruncatedNewton } from '../src/fullbatch/tnc.js';
import { TncPreconditioner } from '../src/fullbatch/tnc-preconditioner.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import type { LabeledSamples, ModelSpec } from '../src/types.js';

/** J = ½xᵀAx − bᵀx with A = MᵀM + I (symmetric positive definite), its minimum x* = A⁻¹b. */
function quadratic(n: number, seed: number) {
  const rng = new Rng(seed);
  const M = Float64Array.from({ length: n * n }, () => rng.nextFloat() * 2 - 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) s += M[k * n + i] * M[k * n + j];
      A[i * n + j] = s;
    }
  const b = Float64Array.from({ length: n }, () => rng.nextFloat() * 4 - 2);
  const objective: Objective = async (x, grad) => {
    let J = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
      grad[i] = ax - b[i];
      J += 0.5 * x[i] * ax - b[i] * x[i];
    }
    return J;
  };
  // x* by Gaussian elimination (A is SPD: no pivoting needed).
  const a = Float64Array.from(A);
  const xStar = Float64Array.from(b);
  for (let c = 0; c < n; c++)
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / a[c * n + c];
      for (let k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k];
      xStar[r] -= f * xStar[c];
    }
  for (let r = n - 1; r >= 0; r--) {
    let s = xStar[r];
    for (let k = r + 1; k < n; k++) s -= a[r * n + k] * xStar[k];
    xStar[r] = s / a[r * n + r];
  }
  const cost = (x: Float64Array): number => {
    const g = new Float64Array(n);
    let J = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
      g[i] = ax;
      J += 0.5 * x[i] * ax - b[i] * x[i];
    }
    return J;
  };
  return { objective, xStar, minimum: cost(xStar) };
}

/** A 4-6-3 tanh/softmax network on 60 seeded samples of three blobs, J and ∇J in float64. */
function smallNetwork() {
  const spec: ModelSpec = { layers: [4, 6, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };
  const count = 60;
  const rng = new Rng(7);
  const features = new Float32Array(count * 4);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let f = 0; f < 4; f++) features[i * 4 + f] = (f === labels[i] ? 1.5 : 0) + rng.nextFloat() - 0.5;
  }
  const data: LabeledSamples = { features, labels, count, featureCount: 4, classCount: 3 };
  const P = parameterCount(spec.layers);
  const ws = createWorkspace(spec, 16, Float64Array);
  const index = Uint32Array.from({ length: count }, (_, i) => i);
  const costOptions = resolveCostOptions({ l1: 0, l2: 0.1, reduction: 'mean' });
  const objective: Objective = async (x, grad) => {
    const stats = gradientSum(referenceBackend, x, data, { index, offset: 0, count }, grad, ws);
    return finishGradient(spec.layers, x, grad, stats.lossSum, count, costOptions);
  };
  const x0 = new Float64Array(P);
  const init = new Float32Array(P);
  initializeParameters(spec.layers, 'glorot', Rng.derive(1, 0), init);
  x0.set(init);
  return { objective, x0 };
}

const make = {
  cg: (f: Objective, x0: Float64Array) => new ConjugateGradient(f, x0, DEFAULT_FULL_BATCH_OPTIONS),
  lbfgs: (f: Objective, x0: Float64Array) => new Lbfgs(f, x0, DEFAULT_FULL_BATCH_OPTIONS),
  tnc: (f: Objective, x0: Float64Array) => new TruncatedNewton(f, x0, DEFAULT_FULL_BATCH_OPTIONS),
};

/** Runs to convergence or maxIterations; returns J after start() and after every iteration. */
async function costsOf(m: FullBatchMinimizer, maxIterations: number): Promise<number[]> {
  await m.start();
  const costs = [m.cost];
  while (m.status === 'running' && m.iterations < maxIterations) {
    await m.iterate();
    costs.push(m.cost);
  }
  return costs;
}

describe.each(FULL_BATCH_OPTIMIZER_NAMES)('%s', (name) => {
  it('reaches the known minimum of a 12-dimensional quadratic, J falling every iteration', async () => {
    const { objective, xStar, minimum } = quadratic(12, 3);
    const m = make[name](objective, new Float64Array(12));
    const costs = await costsOf(m, 200);
    expect(m.status).toBe('converged');
    for (let k = 1; k < costs.length; k++) expect(costs[k]).toBeLessThan(costs[k - 1]);
    for (let i = 0; i < 12; i++) expect(m.x[i]).toBeCloseTo(xStar[i], 4);
    expect(m.cost).toBeCloseTo(minimum, 9);
    expect(m.evaluations).toBeGreaterThan(m.iterations);
  });

  it('trains a small network: J falls every iteration to a near-stationary point', async () => {
    const { objective, x0 } = smallNetwork();
    const m = createMinimizer(name, objective, x0, { gtol: 1e-4, history: 10 });
    const costs = await costsOf(m, 300);
    for (let k = 1; k < costs.length; k++) expect(costs[k]).toBeLessThan(costs[k - 1]);
    expect(costs.at(-1)!).toBeLessThan(costs[0] / 2);
    expect(m.status).toBe('converged');
    const g = new Float64Array(x0.length);
    await objective(m.x, g);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(1e-4);
  });

  it('takes every step where the strong Wolfe conditions hold (c1 1e-4, c2 of the method)', async () => {
    const { objective, x0 } = smallNetwork();
    const m = make[name](objective, x0);
    const c2 = { cg: 0.4, lbfgs: 0.9, tnc: 0.25 }[name];
    await m.start();
    for (let k = 0; k < 12 && m.status === 'running'; k++) {
      const [x, g, cost] = [Float64Array.from(m.x), Float64Array.from(m.gradient), m.cost];
      await m.iterate();
      const alpha = m.stepLength;
      const d = m.x.map((v, i) => (v - x[i]) / alpha);
      const slope0 = dot(g, d);
      expect(slope0).toBeLessThan(0);
      expect(m.cost).toBeLessThanOrEqual(cost + 1e-4 * alpha * slope0);
      expect(Math.abs(dot(m.gradient, d))).toBeLessThanOrEqual(c2 * Math.abs(slope0) * (1 + 1e-9));
    }
  });

  it('stalls, keeping its point, when no step along its direction lowers J (a gradient of the wrong sign)', async () => {
    const wrong: Objective = async (x, grad) => {
      grad[0] = -2 * x[0];
      grad[1] = -2 * x[1];
      return x[0] * x[0] + x[1] * x[1];
    };
    const m = make[name](wrong, Float64Array.of(1, -2));
    await m.start();
    expect(await m.iterate()).toBe('stalled');
    expect([...m.x]).toEqual([1, -2]);
    expect(m.cost).toBe(5);
    expect(m.iterations).toBe(0);
    expect(await m.iterate()).toBe('stalled');
  });

  it('repeats itself bit for bit', async () => {
    const run = async () => {
      const { objective, x0 } = smallNetwork();
      const m = make[name](objective, x0);
      await costsOf(m, 15);
      return [Buffer.from(m.x.buffer).toString('hex'), m.evaluations];
    };
    expect(await run()).toEqual(await run());
  });
});

/**
 * SHA-256 of x after 15 iterations on the small network, and the evaluations: pinned so that a
 * refactor of the optimizers' shared code cannot move a bit unnoticed (a deliberate change of
 * a method updates its line here, saying why in its commit).
 */
const PINNED: Record<string, [string, number]> = {
  cg: ['57a2952e12bd3136f19af10658931208ff78f97a7a0c154ff5fb7553777a0828', 53],
  lbfgs: ['f4cc5e31272d1fdbbf73cc1903636a1649d14c018282c4a0d945c9cbd8f159a3', 16],
  tnc: ['306a87362eeaa2d08bedfbba0d82f6e60e993ae1f75762484210773b35f4bcfb', 65],
};

describe.each(FULL_BATCH_OPTIMIZER_NAMES)('%s pinned', (name) => {
  it('lands on the pinned bytes after 15 iterations', async () => {
    const { objective, x0 } = smallNetwork();
    const m = make[name](objective, x0);
    await costsOf(m, 15);
    const hash = createHash('sha256').update(new Uint8Array(m.x.buffer)).digest('hex');
    expect([hash, m.evaluations]).toEqual(PINNED[name]);
  });
});

describe.each(FULL_BATCH_OPTIMIZER_NAMES)('%s snapshot', (name) => {
  it('continues from a snapshot (copied through bytes) to the same bits as the run it came from', async () => {
    const { objective, x0 } = smallNetwork();
    const whole = make[name](objective, x0);
    await costsOf(whole, 14);
    const first = make[name](objective, x0);
    await costsOf(first, 6);
    const saved = first.snapshot();
    await first.iterate(); // the snapshot is a copy: moving on must not change it
    const bytes = Object.fromEntries(Object.entries(saved.vectors).map(([k, v]) => [k, Buffer.from(v.buffer)]));
    const vectors = Object.fromEntries(
      Object.entries(bytes).map(([k, b]) => [k, new Float64Array(new Uint8Array(b).buffer)]),
    );
    const resumed = make[name](objective, new Float64Array(x0.length));
    resumed.restore({ ...saved, scalars: JSON.parse(JSON.stringify(saved.scalars)), vectors });
    while (resumed.status === 'running' && resumed.iterations < 14) await resumed.iterate();
    expect(resumed.iterations).toBe(whole.iterations);
    expect(resumed.evaluations).toBe(whole.evaluations);
    expect(Buffer.from(resumed.x.buffer).equals(Buffer.from(whole.x.buffer))).toBe(true);
  });

  it("refuses another method's snapshot and a missing vector in one line", async () => {
    const { objective, x0 } = smallNetwork();
    const m = make[name](objective, x0);
    await m.start();
    const other = FULL_BATCH_OPTIMIZER_NAMES.find((n) => n !== name)!;
    expect(() => m.restore({ ...m.snapshot(), name: other })).toThrow(`is of ${other}, this run uses ${name}`);
    const { x: _x, ...noX } = m.snapshot().vectors;
    expect(() => m.restore({ ...m.snapshot(), vectors: noX })).toThrow(/no vector "x" of \d+ values/);
  });
});

describe('ConjugateGradient', () => {
  it('takes n steps or fewer on an n-dimensional quadratic (exact line searches aside)', async () => {
    const { objective } = quadratic(6, 11);
    const m = make.cg(objective, new Float64Array(6));
    await costsOf(m, 100);
    expect(m.status).toBe('converged');
    // Inexact Wolfe steps cost CG its finite termination; it still needs only a few sweeps.
    expect(m.iterations).toBeLessThanOrEqual(30);
  });

  it('refuses a non-finite starting point and a negative gtol', () => {
    const { objective } = quadratic(2, 1);
    expect(() => make.cg(objective, Float64Array.of(0, Number.NaN))).toThrow(/value 1 is NaN/);
    expect(() => new ConjugateGradient(objective, new Float64Array(2), { gtol: -1, history: 10 })).toThrow(/gtol/);
  });
});

describe('Lbfgs', () => {
  it('refuses a history that is not a positive integer', () => {
    const { objective } = quadratic(2, 1);
    expect(() => new Lbfgs(objective, new Float64Array(2), { gtol: 1e-5, history: 0 })).toThrow(/history/);
  });
});

describe('TncPreconditioner', () => {
  const n = 7;
  const rng = new Rng(5);
  const vec = () => Float64Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
  const diagonal = Float64Array.from({ length: n }, () => 0.5 + rng.nextFloat() * 3);
  const [sk, yk, sr] = [vec(), vec(), vec()];
  // y = A·s for an SPD diagonal A, so y·s > 0 as a step on a convex J gives.
  const yr = sr.map((v, i) => (1 + i) * v);
  for (let i = 0; i < n; i++) yk[i] = (1 + i) * sk[i] + 0.1 * yk[i] * sk[i];

  it.each([true, false])('meets the secant condition M⁻¹·y_k = s_k (reset %s)', (reset) => {
    const p = new TncPreconditioner(Float64Array.from(diagonal));
    const pairs = { first: false, reset, sk, yk, sr, yr, yksk: dot(yk, sk), yrsr: dot(yr, sr) };
    const out = new Float64Array(n);
    p.solve(yk, pairs, out);
    for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo(sk[i], 12);
  });

  it('is D⁻¹ without a pair, and keeps its diagonal positive through the inner updates', () => {
    const p = new TncPreconditioner(Float64Array.from(diagonal));
    const pairs = { first: true, reset: false, sk, yk, sr, yr, yksk: 0, yrsr: 0 };
    const out = new Float64Array(n);
    p.solve(yk, pairs, out);
    for (let i = 0; i < n; i++) expect(out[i]).toBe(yk[i] / diagonal[i]);
    const e = new Float64Array(n);
    p.start(pairs, e);
    expect([...e]).toEqual([...diagonal]);
    TncPreconditioner.update(e, sk, yk, sr);
    for (const v of e) expect(v).toBeGreaterThan(0);
  });
});

describe('strongWolfeSearch', () => {
  /** J = Σ (x_i^4/4 − x_i) + (x·x)/2 along a seeded direction: smooth, not quadratic. */
  const quartic: Objective = async (x, grad) => {
    let J = 0;
    for (let i = 0; i < x.length; i++) {
      J += x[i] ** 4 / 4 - x[i] + (x[i] * x[i]) / 2;
      grad[i] = x[i] ** 3 - 1 + x[i];
    }
    return J;
  };

  /** From x = (−2 … 2) along −∇J, the starting point evaluated (counted once). */
  async function quarticLine() {
    const n = 5;
    const x = Float64Array.from({ length: n }, (_, i) => i - 2);
    const grad0 = new Float64Array(n);
    const counted = new CountedObjective(quartic);
    const cost0 = await counted.evaluate(x, grad0);
    const d = grad0.map((g) => -g);
    return { n, x, grad0, counted, cost0, d, out: { xNew: new Float64Array(n), gradNew: new Float64Array(n) } };
  }

  it.each([
    [1e-4, 0.9, 1],
    [1e-4, 0.4, 1],
    [1e-4, 0.1, 10],
    [1e-4, 0.1, 1e-3],
  ])('meets both strong Wolfe conditions (c1 %s, c2 %s, first step %s)', async (c1, c2, initialStep) => {
    const { n, x, grad0, counted, cost0, d, out } = await quarticLine();
    const found = await strongWolfeSearch(counted, x, d, cost0, grad0, out, { c1, c2, initialStep });
    expect(found).not.toBeNull();
    const { alpha, cost } = found!;
    const g = new Float64Array(n);
    const at = x.map((xi, i) => xi + alpha * d[i]);
    expect(await quartic(at, g)).toBe(cost);
    const slope0 = dot(grad0, d);
    expect(cost).toBeLessThanOrEqual(cost0 + c1 * alpha * slope0);
    expect(Math.abs(dot(g, d))).toBeLessThanOrEqual(c2 * Math.abs(slope0));
    expect([...out.gradNew]).toEqual([...g]);
  });

  // scipy 1.17's DCSRCH (scipy.optimize._dcsrch, xtol 1e-14) on the same line: its α and trials.
  it.each([
    [0.9, 1, 0.23849598985204531, 2],
    [0.4, 1, 0.23849598985204531, 2],
    [0.1, 10, 0.18975133683014425, 4],
    [0.1, 1e-3, 0.21363451898848657, 6],
    [0.4, 0.05, 0.25, 2],
  ])('moreThuenteSearch takes scipy dcsrch steps (c2 %s, first step %s)', async (c2, initialStep, alpha, trials) => {
    const { x, grad0, counted, cost0, d, out } = await quarticLine();
    const found = await moreThuenteSearch(counted, x, d, cost0, grad0, out, { c1: 1e-4, c2, initialStep });
    expect(found).not.toBeNull();
    expect(found!.alpha).toBeCloseTo(alpha, 12);
    expect(counted.evaluations - 1).toBe(trials);
    const slope0 = dot(grad0, d);
    expect(found!.cost).toBeLessThanOrEqual(cost0 + 1e-4 * found!.alpha * slope0);
    expect(Math.abs(dot(out.gradNew, d))).toBeLessThanOrEqual(c2 * Math.abs(slope0));
  });

  it('refuses a direction that does not descend', async () => {
    const x = Float64Array.of(0, 0);
    const grad0 = new Float64Array(2);
    const counted = new CountedObjective(quartic);
    const cost0 = await counted.evaluate(x, grad0);
    const out = { xNew: new Float64Array(2), gradNew: new Float64Array(2) };
    expect(await strongWolfeSearch(counted, x, grad0, cost0, grad0, out, { c1: 1e-4, c2: 0.9, initialStep: 1 })).toBe(
      null,
    );
  });

  it('backs off from a trial point where J is not finite', async () => {
    // J = −log(1 − x): +∞ (NaN past 1) beyond the pole, minimum nowhere; with J + x²: minimum near 0.38.
    const pole: Objective = async (x, grad) => {
      grad[0] = 1 / (1 - x[0]) + 2 * x[0] - 2;
      return -Math.log(1 - x[0]) + x[0] * x[0] - 2 * x[0];
    };
    const x = Float64Array.of(0);
    const grad0 = new Float64Array(1);
    const counted = new CountedObjective(pole);
    const cost0 = await counted.evaluate(x, grad0);
    const out = { xNew: new Float64Array(1), gradNew: new Float64Array(1) };
    const found = await strongWolfeSearch(counted, x, Float64Array.of(1), cost0, grad0, out, {
      c1: 1e-4,
      c2: 0.1,
      initialStep: 4,
    });
    expect(found).not.toBeNull();
    expect(found!.alpha).toBeGreaterThan(0);
    expect(found!.alpha).toBeLessThan(1);
  });
});

describe('interpolation', () => {
  it('finds the minimum of an exact parabola and an exact cubic', () => {
    const f = (t: number) => (t - 0.3) ** 2;
    expect(quadraticMinimizer(0, f(0), -0.6, 1, f(1))).toBeCloseTo(0.3, 12);
    const c = (t: number) => t ** 3 - 3 * t; // minimum at t = 1
    expect(cubicMinimizer(0, c(0), -3, 2, c(2), 3, c(3))).toBeCloseTo(1, 12);
    expect(quadraticMinimizer(0, 0, 0, 1, 0)).toBeNull();
  });
});
