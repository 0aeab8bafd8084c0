import { describe, expect, it } from 'vitest';
import { classificationReport } from '../src/class-metrics.js';

describe('classificationReport', () => {
  it('computes precision, recall, F1 and support per class as scikit-learn does', () => {
    // y_true = [0,0,0,1,1,2], y_pred = [0,0,1,1,2,2]: sklearn gives precision [1, .5, .5], recall [2/3, .5, 1].
    const r = classificationReport([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(r.classes.map((c) => c.precision)).toEqual([1, 0.5, 0.5]);
    expect(r.classes.map((c) => c.recall)).toEqual([2 / 3, 0.5, 1]);
    expect(r.classes[0].f1).toBeCloseTo(0.8, 12);
    expect(r.classes[2].f1).toBeCloseTo(2 / 3, 12);
    expect(r.classes.map((c) => c.support)).toEqual([3, 2, 1]);
    expect(r.macro.precision).toBeCloseTo(2 / 3, 12);
    expect(r.weighted.recall).toBeCloseTo(4 / 6, 12);
  });

  it('gives 0 for a class never predicted or never present', () => {
    const r = classificationReport([
      [3, 0],
      [0, 0],
    ]);
    expect(r.classes[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('refuses a matrix that is not square', () => {
    expect(() => classificationReport([[1, 2]])).toThrow(RangeError);
  });
});
