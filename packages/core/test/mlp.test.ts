import { describe, expect, it } from 'vitest';
import { initializeParameters, isBiasMask, layerLayouts, parameterCount, validateModelSpec } from '../src/mlp.js';
import { Rng } from '../src/rng.js';

describe('layerLayouts', () => {
  it("lays out ex4's Theta1 25x401 and Theta2 10x26", () => {
    expect(layerLayouts([400, 25, 10])).toEqual([
      { rows: 25, cols: 401, offset: 0 },
      { rows: 10, cols: 26, offset: 25 * 401 },
    ]);
    expect(parameterCount([400, 25, 10])).toBe(10285);
  });
});

describe('isBiasMask', () => {
  it('marks column 0 of every layer', () => {
    expect([...isBiasMask([2, 2, 1])]).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
  });
});

describe('initializeParameters', () => {
  it("draws glorot weights within ±√6/√(n_in+n_out) (ex4's ε_init)", () => {
    const layers = [400, 25, 10];
    const p = new Float32Array(parameterCount(layers));
    initializeParameters(layers, 'glorot', new Rng(1), p);
    const eps1 = Math.sqrt(6) / Math.sqrt(425);
    const max1 = Math.max(...p.subarray(0, 25 * 401).map(Math.abs));
    expect(max1).toBeLessThanOrEqual(eps1);
    expect(max1).toBeGreaterThan(0.9 * eps1);
  });

  it('gives he-initialised layers zero biases', () => {
    const p = new Float32Array(parameterCount([3, 2]));
    initializeParameters([3, 2], 'he', new Rng(1), p);
    expect(p[0]).toBe(0);
    expect(p[4]).toBe(0);
    expect(p[1]).not.toBe(0);
  });

  it('is identical for the same seed', () => {
    const a = new Float32Array(50);
    const b = new Float32Array(50);
    initializeParameters([4, 5, 5], 'uniform', new Rng(8), a);
    initializeParameters([4, 5, 5], 'uniform', new Rng(8), b);
    expect(a).toEqual(b);
  });
});

describe('validateModelSpec', () => {
  it('refuses a single layer, bad sizes and mismatched output/loss with RangeError', () => {
    expect(() => validateModelSpec({ layers: [3], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' })).toThrow(
      /at least 2 sizes/,
    );
    expect(() => validateModelSpec({ layers: [3, 1.5], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' })).toThrow(
      RangeError,
    );
    expect(() => validateModelSpec({ layers: [3, 2], hidden: 'sigmoid', output: 'identity', loss: 'ce' })).toThrow(
      /needs output softmax/,
    );
    expect(() =>
      validateModelSpec({ layers: [3, 2], hidden: 'gelu' as never, output: 'sigmoid', loss: 'bce' }),
    ).toThrow(/spec.hidden must be one of/);
  });
});
