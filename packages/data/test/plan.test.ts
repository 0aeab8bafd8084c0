import { describe, expect, it } from 'vitest';
import {
  arraySplitSizes,
  batchSizesBySize,
  epochPermutation,
  minibatchBounds,
  proportionalShards,
} from '../src/plan.js';

const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

describe('arraySplitSizes', () => {
  it('matches numpy array_split', () => {
    // Values from numpy: [len(p) for p in np.array_split(np.arange(n), k)]
    expect(arraySplitSizes(10, 3)).toEqual([4, 3, 3]);
    expect(arraySplitSizes(7, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(arraySplitSizes(5, 8)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(arraySplitSizes(0, 2)).toEqual([0, 0]);
    const digits = arraySplitSizes(1797, 17);
    expect(digits).toEqual([...new Array<number>(12).fill(106), ...new Array<number>(5).fill(105)]);
    expect(sum(digits)).toBe(1797);
  });

  it('refuses k < 1 and a negative or fractional n with RangeError', () => {
    expect(() => arraySplitSizes(10, 0)).toThrow(new RangeError('k must be an integer ≥ 1, got 0'));
    expect(() => arraySplitSizes(-1, 2)).toThrow(RangeError);
    expect(() => arraySplitSizes(2.5, 2)).toThrow(RangeError);
  });

  it('refuses a non-number with TypeError', () => {
    expect(() => arraySplitSizes('10' as never, 2)).toThrow(TypeError);
  });
});

describe('batchSizesBySize', () => {
  it('gives full batches then a smaller last one', () => {
    expect(batchSizesBySize(10, 4)).toEqual([4, 4, 2]);
    expect(batchSizesBySize(12, 4)).toEqual([4, 4, 4]);
    expect(batchSizesBySize(3, 10)).toEqual([3]);
    expect(batchSizesBySize(0, 10)).toEqual([]);
  });

  it('refuses a batch size below 1', () => {
    expect(() => batchSizesBySize(10, 0)).toThrow(RangeError);
  });
});

describe('epochPermutation', () => {
  it('is a permutation of 0 … n−1', () => {
    const p = epochPermutation(1, 0, 1000);
    expect(p).toBeInstanceOf(Uint32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('depends only on seed, epoch and n', () => {
    epochPermutation(5, 0, 100); // an earlier epoch drawn first changes nothing
    expect(epochPermutation(5, 3, 100)).toEqual(epochPermutation(5, 3, 100));
  });

  it('differs across epochs and across seeds', () => {
    expect(epochPermutation(5, 0, 100)).not.toEqual(epochPermutation(5, 1, 100));
    expect(epochPermutation(5, 0, 100)).not.toEqual(epochPermutation(6, 0, 100));
  });

  it('handles n = 0 and n = 1', () => {
    expect(epochPermutation(1, 0, 0)).toEqual(new Uint32Array(0));
    expect(epochPermutation(1, 0, 1)).toEqual(Uint32Array.from([0]));
  });

  it('refuses a negative epoch and a non-integer seed', () => {
    expect(() => epochPermutation(1, -1, 10)).toThrow(RangeError);
    expect(() => epochPermutation(0.5, 0, 10)).toThrow(TypeError);
  });
});

describe('minibatchBounds', () => {
  it('cuts by batch size into consecutive runs', () => {
    expect(minibatchBounds(10, { batchSize: 4 })).toEqual([
      { start: 0, count: 4 },
      { start: 4, count: 4 },
      { start: 8, count: 2 },
    ]);
  });

  it('cuts into a number of minibatches like numpy array_split', () => {
    expect(minibatchBounds(10, { minibatches: 3 })).toEqual([
      { start: 0, count: 4 },
      { start: 4, count: 3 },
      { start: 7, count: 3 },
    ]);
  });

  it('leaves out empty batches when there are more minibatches than samples', () => {
    expect(minibatchBounds(2, { minibatches: 4 })).toEqual([
      { start: 0, count: 1 },
      { start: 1, count: 1 },
    ]);
    expect(minibatchBounds(0, { batchSize: 4 })).toEqual([]);
  });

  describe('options', () => {
    it('refuses both or neither of batchSize and minibatches with RangeError', () => {
      const msg = 'exactly one of options.batchSize and options.minibatches must be given';
      expect(() => minibatchBounds(10, {})).toThrow(new RangeError(msg));
      expect(() => minibatchBounds(10, { batchSize: 2, minibatches: 2 })).toThrow(new RangeError(msg));
    });

    it('refuses a non-positive or fractional value naming the option', () => {
      expect(() => minibatchBounds(10, { batchSize: 0 })).toThrow(
        'options.batchSize must be a positive integer, got 0',
      );
      expect(() => minibatchBounds(10, { minibatches: 1.5 })).toThrow(RangeError);
      expect(() => minibatchBounds(10, { batchSize: '4' as never })).toThrow(TypeError);
    });
  });
});

describe('proportionalShards', () => {
  it('splits equal weights like array_split', () => {
    expect(proportionalShards(10, [1, 1, 1])).toEqual([4, 3, 3]);
  });

  it('splits in proportion to the weights', () => {
    expect(proportionalShards(100, [1, 3])).toEqual([25, 75]);
    expect(proportionalShards(10, [2, 1, 1])).toEqual([5, 3, 2]);
    const sizes = proportionalShards(1000, [0.7, 2.1, 1.2]);
    expect(sizes).toEqual([175, 525, 300]);
  });

  it('rounds each part to within one sample of its exact quota', () => {
    const weights = [3.3, 1.7, 9.1, 0.4, 2.2];
    const total = sum(weights);
    for (const count of [17, 64, 101, 999]) {
      const sizes = proportionalShards(count, weights);
      sizes.forEach((s, i) => expect(Math.abs(s - (count * weights[i]) / total)).toBeLessThan(1));
    }
  });

  it('always sums to count and never leaves a part empty when count ≥ parts', () => {
    const weights = [1000, 1, 1, 50, 0.001];
    for (let count = weights.length; count < 200; count++) {
      const sizes = proportionalShards(count, weights);
      expect(sum(sizes)).toBe(count);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives a tiny part one sample taken from the largest part', () => {
    expect(proportionalShards(10, [1, 1000])).toEqual([1, 9]);
    expect(proportionalShards(10, [1, 1, 1, 100])).toEqual([1, 1, 1, 7]);
  });

  it('breaks remainder ties by index', () => {
    expect(proportionalShards(5, [1, 1, 1, 1])).toEqual([2, 1, 1, 1]);
  });

  it('gives one sample each to the heaviest parts when count < parts', () => {
    expect(proportionalShards(2, [1, 1, 1])).toEqual([1, 1, 0]);
    expect(proportionalShards(2, [1, 5, 1, 3])).toEqual([0, 1, 0, 1]);
    expect(proportionalShards(0, [1, 2])).toEqual([0, 0]);
  });

  it('refuses empty, non-positive or non-finite weights and a bad count', () => {
    expect(() => proportionalShards(10, [])).toThrow(new RangeError('weights must not be empty'));
    expect(() => proportionalShards(10, [1, 0])).toThrow('weights[1] must be a positive finite number, got 0');
    expect(() => proportionalShards(10, [1, Infinity])).toThrow(RangeError);
    expect(() => proportionalShards(10, [1, Number.NaN])).toThrow(RangeError);
    expect(() => proportionalShards(-1, [1])).toThrow(RangeError);
    expect(() => proportionalShards(10, 'ab' as never)).toThrow(TypeError);
  });
});
