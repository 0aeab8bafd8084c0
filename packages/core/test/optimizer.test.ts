import { describe, expect, it } from 'vitest';
import { MomentumSgd } from '../src/optimizer.js';

describe('MomentumSgd', () => {
  describe('#ctor', () => {
    it('refuses a momentum outside [0, 1) with a RangeError', () => {
      expect(() => new MomentumSgd(1, { momentum: 1, nesterov: false })).toThrow(RangeError);
      expect(() => new MomentumSgd(1, { momentum: -0.1, nesterov: false })).toThrow('options.momentum must be in [0, 1)');
    });
  });

  it('follows v ← αv + ηg, w ← w − v for a hand-computed sequence', () => {
    // α = 0.5, η = 0.1, gradients 1, 2, −1 on w0 = 1:
    // v1 = 0.1, w1 = 0.9; v2 = 0.05 + 0.2 = 0.25, w2 = 0.65; v3 = 0.125 − 0.1 = 0.025, w3 = 0.625
    const opt = new MomentumSgd(1, { momentum: 0.5, nesterov: false });
    const w = Float32Array.of(1);
    const expected = [0.9, 0.65, 0.625];
    [1, 2, -1].forEach((g, t) => {
      opt.step(w, Float32Array.of(g), 0.1);
      expect(w[0]).toBeCloseTo(expected[t], 6);
    });
    expect(opt.velocity[0]).toBeCloseTo(0.025, 6);
  });

  it('takes the Nesterov look-ahead step w ← w − (αv + ηg)', () => {
    // α = 0.5, η = 0.1, gradients 1, 2: v1 = 0.1, w1 = 1 − (0.05 + 0.1) = 0.85;
    // v2 = 0.05 + 0.2 = 0.25, w2 = 0.85 − (0.125 + 0.2) = 0.525
    const opt = new MomentumSgd(1, { momentum: 0.5, nesterov: true });
    const w = Float32Array.of(1);
    opt.step(w, Float32Array.of(1), 0.1);
    expect(w[0]).toBeCloseTo(0.85, 6);
    opt.step(w, Float32Array.of(2), 0.1);
    expect(w[0]).toBeCloseTo(0.525, 6);
  });

  it('is plain SGD with momentum 0', () => {
    const opt = new MomentumSgd(2, { momentum: 0, nesterov: false });
    const w = Float32Array.of(1, -1);
    opt.step(w, Float32Array.of(0.5, -0.5), 0.2);
    expect([...w]).toEqual([Math.fround(0.9), Math.fround(-0.9)]);
  });
});
