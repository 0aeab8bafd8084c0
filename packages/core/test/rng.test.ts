import { describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';

describe('Rng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws floats in [0, 1) with a mean near one half', () => {
    const r = new Rng(5);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const x = r.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });

  it('returns permutations of 0..n-1', () => {
    const p = new Rng(9).permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('resumes exactly from a saved state', () => {
    const r = new Rng(77);
    r.nextUint32();
    const state = r.getState();
    const next = [r.nextUint32(), r.nextUint32()];
    const s = new Rng(1);
    s.setState(state);
    expect([s.nextUint32(), s.nextUint32()]).toEqual(next);
  });

  it('derives independent streams that depend only on seed and stream', () => {
    expect(Rng.derive(1, 2).nextUint32()).toBe(Rng.derive(1, 2).nextUint32());
    expect(Rng.derive(1, 2).nextUint32()).not.toBe(Rng.derive(1, 3).nextUint32());
  });

  it('refuses a non-integer seed with a TypeError', () => {
    expect(() => new Rng(1.5)).toThrow(TypeError);
  });
});
