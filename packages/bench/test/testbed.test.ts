import { describe, expect, it } from 'vitest';
import { allSeries, batchForRun, dilationOf, seriesLabel, undilateLink, undilateStep } from '../src/testbed.js';

describe('the emulated cluster', () => {
  it('gives weak-scaling runs B samples per worker and strong ones the one batch', () => {
    expect([1, 2, 4, 8].map((w) => batchForRun('weak', w, 1000, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 4, 8].map((w) => batchForRun('weak', w, 1000, 250))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 4, 8].map((w) => batchForRun('strong', w, 1000, 250))).toEqual([1000, 1000, 1000, 1000]);
    expect(() => batchForRun('weak', 2, 1000)).toThrow(RangeError);
  });

  it('runs every topology with every scaling, side by side', () => {
    const series = allSeries(['chain', 'star'], ['strong', 'weak']);
    expect(series.map(seriesLabel)).toEqual(['chain, strong', 'chain, weak', 'star, strong', 'star, weak']);
    // No --topology given: the flag is not passed, and the rows carry no topology.
    expect(allSeries([undefined], ['weak'])).toEqual([{ scaling: 'weak' }]);
  });

  it('undilates: times / (1/F), link rates × (1/F)', () => {
    expect(dilationOf(undefined)).toBe(1);
    expect(dilationOf(0.2)).toBe(5);
    expect(
      undilateStep(
        { totalMs: 500, computeMaxMs: 300, computeMeanMs: 250, reduceUpdateMs: 10, communicationMs: 190 },
        5,
      ),
    ).toEqual({ totalMs: 100, computeMaxMs: 60, computeMeanMs: 50, reduceUpdateMs: 2, communicationMs: 38 });
    expect(undilateLink({ gbit: 0.2, roundTripMs: 1 }, 5)).toEqual({ gbit: 1, roundTripMs: 0.2 });
    expect(undilateLink(null, 5)).toBeNull();
  });
});
