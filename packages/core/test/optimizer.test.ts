import { describe, expect, it } from 'vitest';
import type { OptimizerOptions } from '../src/optimizer.js';
import { AdamOptimizer } from '../src/optimizers/adam.js';
import { createOptimizer } from '../src/optimizers/registry.js';
import { SgdOptimizer } from '../src/optimizers/sgd.js';

const BASE: OptimizerOptions = {
  name: 'sgd',
  momentum: 0,
  nesterov: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
};
const sgd = (momentum: number, nesterov = false) => createOptimizer(1, { ...BASE, momentum, nesterov });

describe('SgdOptimizer', () => {
  describe('#ctor', () => {
    it('refuses a momentum outside [0, 1) with a RangeError', () => {
      expect(() => new SgdOptimizer(1, { momentum: 1, nesterov: false })).toThrow(RangeError);
      expect(() => new SgdOptimizer(1, { momentum: -0.1, nesterov: false })).toThrow(
        'options.momentum must be in [0, 1)',
      );
    });
  });

  it('follows v ← αv + ηg, w ← w − v for a hand-computed sequence', () => {
    // α = 0.5, η = 0.1, gradients 1, 2, −1 on w0 = 1:
    // v1 = 0.1, w1 = 0.9; v2 = 0.05 + 0.2 = 0.25, w2 = 0.65; v3 = 0.125 − 0.1 = 0.025, w3 = 0.625
    const opt = sgd(0.5);
    const w = Float32Array.of(1);
    const expected = [0.9, 0.65, 0.625];
    [1, 2, -1].forEach((g, t) => {
      opt.step(w, Float32Array.of(g), 0.1);
      expect(w[0]).toBeCloseTo(expected[t], 6);
    });
    expect(opt.buffers.velocity[0]).toBeCloseTo(0.025, 6);
    expect(opt.stepCount).toBe(3);
  });

  it('takes the Nesterov look-ahead step w ← w − (αv + ηg)', () => {
    // α = 0.5, η = 0.1, gradients 1, 2: v1 = 0.1, w1 = 1 − (0.05 + 0.1) = 0.85;
    // v2 = 0.05 + 0.2 = 0.25, w2 = 0.85 − (0.125 + 0.2) = 0.525
    const opt = sgd(0.5, true);
    const w = Float32Array.of(1);
    opt.step(w, Float32Array.of(1), 0.1);
    expect(w[0]).toBeCloseTo(0.85, 6);
    opt.step(w, Float32Array.of(2), 0.1);
    expect(w[0]).toBeCloseTo(0.525, 6);
  });

  it('is plain SGD with momentum 0', () => {
    const opt = createOptimizer(2, BASE);
    const w = Float32Array.of(1, -1);
    opt.step(w, Float32Array.of(0.5, -0.5), 0.2);
    expect([...w]).toEqual([Math.fround(0.9), Math.fround(-0.9)]);
  });
});

describe('AdamOptimizer', () => {
  const adam = (o: Partial<OptimizerOptions> = {}) => createOptimizer(1, { ...BASE, name: 'adam', ...o });

  describe('#ctor', () => {
    it('refuses betas outside [0, 1), eps <= 0, a negative weight decay and a weight decay for adam', () => {
      expect(() => adam({ beta1: 1 })).toThrow('options.beta1 must be in [0, 1), got 1');
      expect(() => adam({ beta2: -0.5 })).toThrow('options.beta2 must be in [0, 1), got -0.5');
      expect(() => adam({ eps: 0 })).toThrow('options.eps must be a finite number > 0, got 0');
      expect(() => adam({ name: 'adamw', weightDecay: -1 })).toThrow(RangeError);
      expect(() => adam({ weightDecay: 0.1 })).toThrow(/weightDecay is for adamw/);
      expect(adam()).toBeInstanceOf(AdamOptimizer);
    });
  });

  it('takes two hand-computed Adam steps', () => {
    // β1 = 0.9, β2 = 0.999, ε = 1e-8, η = 0.1, w0 = 1.
    // t = 1, g = 2:  m = 0.1·2 = 0.2, v = 0.001·4 = 0.004, m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4,
    //   w = 1 − 0.1·2/(2 + 1e-8) = 0.9 (0.9000000005).
    // t = 2, g = −1: m = 0.18 − 0.1 = 0.08, v = 0.003996 + 0.001 = 0.004996,
    //   m̂ = 0.08/(1 − 0.81) = 0.421053, v̂ = 0.004996/(1 − 0.998001) = 2.499250, √v̂ = 1.580902,
    //   w = 0.9 − 0.1·0.421053/1.580902 = 0.873366.
    const opt = adam();
    const w = Float32Array.of(1);
    opt.step(w, Float32Array.of(2), 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(opt.buffers.m[0]).toBeCloseTo(0.2, 7);
    expect(opt.buffers.v[0]).toBeCloseTo(0.004, 9);
    opt.step(w, Float32Array.of(-1), 0.1);
    expect(w[0]).toBeCloseTo(0.873366, 6);
    expect(opt.buffers.m[0]).toBeCloseTo(0.08, 7);
    expect(opt.buffers.v[0]).toBeCloseTo(0.004996, 9);
    expect(opt.stepCount).toBe(2);
  });

  it('moves every weight by about η on its first step, whatever the gradient scale (bias correction)', () => {
    const opt = createOptimizer(3, { ...BASE, name: 'adam' });
    const w = Float32Array.of(0, 0, 0);
    opt.step(w, Float32Array.of(0.01, -300, 5), 0.01);
    expect(w[0]).toBeCloseTo(-0.01, 6);
    expect(w[1]).toBeCloseTo(0.01, 6);
    expect(w[2]).toBeCloseTo(-0.01, 6);
  });

  it('adamw decays the weights by η·λ before the Adam step (decoupled weight decay)', () => {
    // λ = 0.5, η = 0.1, w0 = 1, g = 2: w = 1·(1 − 0.05) − 0.1·2/(2 + 1e-8) = 0.85.
    const opt = adam({ name: 'adamw', weightDecay: 0.5 });
    const w = Float32Array.of(1);
    opt.step(w, Float32Array.of(2), 0.1);
    expect(w[0]).toBeCloseTo(0.85, 6);
    // A zero gradient on a fresh state: the Adam term is 0/(0 + ε) = 0, only the decay moves w.
    const w2 = Float32Array.of(1);
    const fresh = adam({ name: 'adamw', weightDecay: 0.5 });
    fresh.step(w2, Float32Array.of(0), 0.1);
    expect(w2[0]).toBeCloseTo(0.95, 7);
  });

  it('continues after state()/restore() with the same bits as without (the running products are rebuilt)', () => {
    const run = (restoreAt: number | null): Float32Array => {
      let opt = createOptimizer(4, { ...BASE, name: 'adamw', weightDecay: 0.01 });
      const w = Float32Array.of(0.5, -0.25, 1, 0);
      for (let t = 0; t < 7; t++) {
        if (t === restoreAt) {
          const saved = opt.state();
          opt = createOptimizer(4, { ...BASE, name: 'adamw', weightDecay: 0.01 });
          opt.restore(saved);
        }
        opt.step(w, Float32Array.of(Math.sin(t), Math.cos(t), 0.1 * t, -1), 0.01);
      }
      return w;
    };
    const whole = run(null);
    expect(new Uint32Array(run(4).buffer)).toEqual(new Uint32Array(whole.buffer));
  });
});

describe('createOptimizer', () => {
  it('builds the named optimizer with zeroed named buffers', () => {
    expect(Object.keys(createOptimizer(3, BASE).buffers)).toEqual(['velocity']);
    const a = createOptimizer(3, { ...BASE, name: 'adamw', weightDecay: 0.01 });
    expect(a.name).toBe('adamw');
    expect(Object.keys(a.buffers)).toEqual(['m', 'v']);
    expect([...a.buffers.m]).toEqual([0, 0, 0]);
  });

  it('refuses an unknown name', () => {
    expect(() => createOptimizer(1, { ...BASE, name: 'lamb' as never })).toThrow(
      'options.optimizer must be one of sgd, adam, adamw, got lamb',
    );
  });

  it("refuses to restore another optimizer's state or buffers of the wrong size", () => {
    const opt = createOptimizer(3, BASE);
    expect(() => opt.restore(createOptimizer(3, { ...BASE, name: 'adam' }).state())).toThrow(
      "the saved optimizer state is adam's, this run uses sgd",
    );
    expect(() => opt.restore({ name: 'sgd', stepCount: 0, buffers: { velocity: new Float32Array(2) } })).toThrow(
      /holds 2 values, the model has 3/,
    );
    expect(() => opt.restore({ name: 'sgd', stepCount: -1, buffers: { velocity: new Float32Array(3) } })).toThrow(
      /step count/,
    );
    expect(() => opt.restore({ name: 'sgd', stepCount: 1, buffers: {} })).toThrow(
      /holds buffers none, sgd needs velocity/,
    );
  });
});
