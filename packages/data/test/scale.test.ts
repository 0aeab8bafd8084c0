import type { LabeledSamples } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { applyScaler, fitScaler } from '../src/scale.js';

/** Samples from rows of features (labels all 0). */
function samples(rows: number[][]): LabeledSamples {
  const featureCount = rows[0]?.length ?? 2;
  return {
    features: Float32Array.from(rows.flat()),
    labels: new Int32Array(rows.length),
    count: rows.length,
    featureCount,
    classCount: 2,
  };
}

function column(s: LabeledSamples, j: number): number[] {
  return Array.from({ length: s.count }, (_, i) => s.features[i * s.featureCount + j]);
}

const train = samples([
  [1, 10, 7],
  [2, 30, 7],
  [3, 20, 7],
  [6, 40, 7],
]);

describe('fitScaler', () => {
  it("'none' is the identity and still returns a new features array", () => {
    const out = applyScaler(fitScaler('none', train), train);
    expect(out.features).not.toBe(train.features);
    expect(out.features).toEqual(train.features);
    expect(out.labels).toBe(train.labels);
  });

  it("'minmax' maps each training feature onto [0, 1] exactly", () => {
    const out = applyScaler(fitScaler('minmax', train), train);
    expect(column(out, 0)).toEqual([0, 0.2, 0.4, 1].map(Math.fround));
    expect(Math.min(...column(out, 1))).toBe(0);
    expect(Math.max(...column(out, 1))).toBe(1);
  });

  it("'standard' gives each training feature mean 0 and population variance 1", () => {
    const out = applyScaler(fitScaler('standard', train), train);
    for (const j of [0, 1]) {
      const c = column(out, j);
      const mean = c.reduce((a, b) => a + b, 0) / c.length;
      const variance = c.reduce((a, b) => a + (b - mean) ** 2, 0) / c.length;
      expect(mean).toBeCloseTo(0, 6);
      expect(variance).toBeCloseTo(1, 5);
    }
  });

  it('maps a constant feature to 0 without dividing by zero', () => {
    for (const kind of ['minmax', 'standard'] as const) {
      const scaler = fitScaler(kind, train);
      expect(scaler.factor[2]).toBe(1);
      expect(column(applyScaler(scaler, train), 2)).toEqual([0, 0, 0, 0]);
    }
  });

  it('keeps a constant feature at 0 even when its float64 mean is off by an ulp', () => {
    const v = Math.fround(0.1);
    const s = samples(Array.from({ length: 1000 }, (_, i) => [v, i]));
    const out = applyScaler(fitScaler('standard', s), s);
    expect(column(out, 0).every((x) => x === 0)).toBe(true);
  });

  it('applies training parameters unchanged to other data', () => {
    const test = samples([[11, 50, 8]]);
    const out = applyScaler(fitScaler('minmax', train), test);
    expect(Array.from(out.features)).toEqual([2, 4 / 3, 1].map(Math.fround));
  });

  it('fits an empty set to the identity', () => {
    const empty: LabeledSamples = { ...train, features: new Float32Array(0), labels: new Int32Array(0), count: 0 };
    expect(fitScaler('standard', empty).factor).toEqual([1, 1, 1]);
  });

  it('returns a frozen, JSON-safe scaler', () => {
    const scaler = fitScaler('minmax', train);
    expect(Object.isFrozen(scaler)).toBe(true);
    expect(JSON.parse(JSON.stringify(scaler))).toEqual(scaler);
  });

  it('refuses an unknown kind with TypeError', () => {
    expect(() => fitScaler('zscore' as never, train)).toThrow(TypeError);
  });
});

describe('applyScaler', () => {
  it('refuses samples with a different feature count with RangeError', () => {
    expect(() => applyScaler(fitScaler('minmax', train), samples([[1, 2]]))).toThrow(
      new RangeError('scaler was fitted on 3 features but the samples have 2'),
    );
  });
});
