import type { LabeledSamples } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { splitTrainTest, subset } from '../src/split.js';

/** n samples of 2 features where row i is [i, -i] and its label i mod 3. */
function numbered(n: number): LabeledSamples {
  const features = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    features[2 * i] = i;
    features[2 * i + 1] = -i;
  }
  return {
    features,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    count: n,
    featureCount: 2,
    classCount: 3,
  };
}

function rowIds(s: LabeledSamples): number[] {
  return Array.from({ length: s.count }, (_, i) => s.features[2 * i]);
}

describe('subset', () => {
  it('copies the given rows in the given order with their labels', () => {
    const s = subset(numbered(5), [4, 1, 1]);
    expect(Array.from(s.features)).toEqual([4, -4, 1, -1, 1, -1]);
    expect(Array.from(s.labels)).toEqual([1, 1, 1]);
    expect(s.count).toBe(3);
    expect(s.classCount).toBe(3);
  });

  it('refuses an index outside the samples with RangeError', () => {
    expect(() => subset(numbered(5), [0, 5])).toThrow(new RangeError('indices[1] must be an integer in [0, 5), got 5'));
    expect(() => subset(numbered(5), [1.5])).toThrow(RangeError);
  });
});

describe('splitTrainTest', () => {
  it('puts round(count × (1 − testFraction)) samples in train and the rest in test', () => {
    const { train, test } = splitTrainTest(numbered(1797), 0.2, 1);
    expect(train.count).toBe(1438);
    expect(test.count).toBe(359);
  });

  it('makes train and test disjoint and together the whole set', () => {
    const { train, test } = splitTrainTest(numbered(100), 0.3, 7);
    const a = rowIds(train);
    const b = rowIds(test);
    expect(new Set([...a, ...b]).size).toBe(100);
    expect(a.length + b.length).toBe(100);
  });

  it('keeps every row with its own label', () => {
    const { train } = splitTrainTest(numbered(50), 0.5, 3);
    for (let i = 0; i < train.count; i++) expect(train.labels[i]).toBe(train.features[2 * i] % 3);
  });

  it('is the same for the same seed and differs for another seed', () => {
    const s = numbered(200);
    expect(rowIds(splitTrainTest(s, 0.25, 42).test)).toEqual(rowIds(splitTrainTest(s, 0.25, 42).test));
    expect(rowIds(splitTrainTest(s, 0.25, 43).test)).not.toEqual(rowIds(splitTrainTest(s, 0.25, 42).test));
  });

  it('shuffles: the test set is not simply the last rows', () => {
    const ids = rowIds(splitTrainTest(numbered(200), 0.25, 42).test);
    expect(ids).not.toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
  });

  it('refuses a testFraction outside (0, 1) with RangeError', () => {
    for (const f of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => splitTrainTest(numbered(10), f, 1)).toThrow(RangeError);
    }
  });

  it('refuses a non-integer seed with TypeError', () => {
    expect(() => splitTrainTest(numbered(10), 0.5, 1.5)).toThrow(TypeError);
  });
});
