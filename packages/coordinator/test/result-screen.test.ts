import { describe, expect, it } from 'vitest';
import {
  compareResults,
  DEFAULT_SCREEN_OPTIONS,
  gradientNorm,
  middleValues,
  overflowCulprit,
  rangeVerdict,
  RecentValues,
  resolveScreenOptions,
  ResultScreen,
  summarize,
  type ShardSummary,
} from '../src/result-screen.js';

const summary = (lossPerSample: number, normPerSample: number, count = 1): ShardSummary => ({
  lossPerSample,
  normPerSample,
  norm: normPerSample * count,
});

describe('gradientNorm', () => {
  it('is the Euclidean norm, accumulated in float64 so 1e30 entries do not overflow', () => {
    expect(gradientNorm(Float32Array.of(3, 4))).toBe(5);
    const big = new Float32Array(1000).fill(1e30);
    expect(gradientNorm(big) / (Math.fround(1e30) * Math.sqrt(1000))).toBeCloseTo(1, 12);
    expect(Number.isFinite(gradientNorm(new Float32Array(4).fill(3.4e38)))).toBe(true);
  });
});

describe('summarize', () => {
  it('gives the loss and gradient norm per sample', () => {
    expect(summarize({ grad: Float32Array.of(3, 4), lossSum: 10, count: 5 })).toEqual({
      lossPerSample: 2,
      normPerSample: 1,
      norm: 5,
    });
  });
});

describe('middleValues', () => {
  it('gives the two middle values of an even count and the median twice for an odd one', () => {
    expect(middleValues([1e30, 1])).toEqual({ lower: 1, upper: 1e30 });
    expect(middleValues([5, 1, 3])).toEqual({ lower: 3, upper: 3 });
    expect(middleValues([4, 1, 3, 2])).toEqual({ lower: 2, upper: 3 });
    expect(middleValues([])).toEqual({ lower: Number.NaN, upper: Number.NaN });
  });
});

describe('RecentValues', () => {
  it('keeps only the newest `capacity` values', () => {
    const w = new RecentValues(3);
    for (const v of [1, 2, 3, 4, 5]) w.push(v);
    expect(w.length).toBe(3);
    expect(w.values().sort()).toEqual([3, 4, 5]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentValues(0)).toThrow(RangeError);
    expect(() => new RecentValues(1.5)).toThrow('capacity must be a positive integer, got 1.5');
  });
});

describe('rangeVerdict', () => {
  const one = { lower: 1, upper: 1 };

  it('flags a value more than factor times above or below the reference, and nothing in between', () => {
    expect(rangeVerdict('loss', 1001, one, 1000)).toMatch(/^loss 1001 is above 1000x the recent median 1$/);
    expect(rangeVerdict('loss', 0.0009, one, 1000)).toMatch(/below 1\/1000/);
    expect(rangeVerdict('loss', 1000, one, 1000)).toBeNull();
    expect(rangeVerdict('loss', 0.001, one, 1000)).toBeNull();
  });

  it('flags both halves of a step split far apart: above the lower median, below the upper one', () => {
    const split = middleValues([0.5, 0]);
    expect(rangeVerdict('norm', 0.5, split, 1000)).toMatch(/above 1000x the recent median 0$/);
    expect(rangeVerdict('norm', 0, split, 1000)).toMatch(/below 1\/1000 of the recent median 0\.5$/);
  });

  it('puts every positive value out of range of a zero reference, and zero within it', () => {
    expect(rangeVerdict('norm', 1e-30, { lower: 0, upper: 0 }, 1000)).not.toBeNull();
    expect(rangeVerdict('norm', 0, { lower: 0, upper: 0 }, 1000)).toBeNull();
  });

  it('never flags with an infinite factor', () => {
    expect(rangeVerdict('loss', 1e300, one, Infinity)).toBeNull();
  });
});

describe('overflowCulprit', () => {
  it('traces a loss sum that overflows to the shard with the largest loss (issue 17: 1.7e308 twice)', () => {
    const s = [summary(1, 1), summary(1, 1), summary(1, 1)];
    expect(overflowCulprit([2.3, 1.7e308, 1.7e308], s)).toBe(1);
    expect(overflowCulprit([1.6e308, 1, 1.7e308], s)).toBe(2);
  });

  it('traces gradient norms whose sum passes the float32 maximum to the largest one', () => {
    expect(overflowCulprit([1, 1], [summary(1, 1e37), summary(1, 3.4e38)])).toBe(1);
    expect(overflowCulprit([1, 1], [summary(1, 2e38), summary(1, 2e38)])).toBe(0);
  });

  it('finds nothing when the sums are finite', () => {
    expect(overflowCulprit([1e308, 1e307], [summary(1, 1e38), summary(1, 1e38)])).toBe(-1);
  });
});

describe('compareResults', () => {
  const a = { grad: Float32Array.of(1, 2, 3), lossSum: 6, count: 3 };

  it('in exact mode accepts the same bits only', () => {
    expect(compareResults(a, { ...a, grad: a.grad.slice() }, null)).toBeNull();
    expect(compareResults(a, { ...a, grad: Float32Array.of(1, 2, Math.fround(3 + 2 ** -22)) }, null)).toMatch(
      /gradient value 2 .*bit for bit/,
    );
    expect(
      compareResults({ ...a, grad: Float32Array.of(0, 2, 3) }, { ...a, grad: Float32Array.of(-0, 2, 3) }, null),
    ).not.toBeNull();
    expect(compareResults(a, { ...a, lossSum: 6 + 1e-15 }, null)).toMatch(/loss sum/);
    expect(compareResults(a, { ...a, count: 4 }, null)).toMatch(/count 3 against 4/);
  });

  it('with a tolerance accepts a last-bit difference and refuses a gradient ×1e30', () => {
    expect(compareResults(a, { ...a, grad: Float32Array.of(1, 2, Math.fround(3 + 2 ** -22)) }, 0.01)).toBeNull();
    expect(compareResults(a, { ...a, grad: a.grad.map((x) => x * 1e30) }, 0.01)).toMatch(
      /gradient norm .* against .*tolerance 0\.01/,
    );
    expect(compareResults(a, { ...a, lossSum: 1e300 }, 0.01)).toMatch(/loss sum 6 against 1\.000e\+300/);
    expect(compareResults(a, { ...a, grad: new Float32Array(3) }, 0.01)).not.toBeNull();
  });
});

describe('resolveScreenOptions', () => {
  it('fills the defaults', () => {
    expect(resolveScreenOptions()).toEqual(DEFAULT_SCREEN_OPTIONS);
    expect(DEFAULT_SCREEN_OPTIONS).toEqual({ factor: 1000, windowSize: 256, tolerance: 0.01 });
  });

  it('refuses each bad value with a RangeError naming it', () => {
    expect(() => resolveScreenOptions({ factor: 1 })).toThrow('options.factor must be above 1, got 1');
    expect(() => resolveScreenOptions({ factor: Number.NaN })).toThrow(RangeError);
    expect(() => resolveScreenOptions({ windowSize: 0 })).toThrow(
      'options.windowSize must be a positive integer, got 0',
    );
    expect(() => resolveScreenOptions({ tolerance: 1 })).toThrow('options.tolerance must be in [0, 1), got 1');
    expect(() => resolveScreenOptions({ tolerance: -0.1 })).toThrow(RangeError);
  });
});

describe('ResultScreen', () => {
  describe('options', () => {
    it('refuses bad options in the constructor', () => {
      expect(() => new ResultScreen({ factor: 0.5 })).toThrow('options.factor must be above 1, got 0.5');
      expect(() => new ResultScreen({ windowSize: 2.5 })).toThrow(RangeError);
      expect(new ResultScreen({ factor: Infinity }).options.factor).toBe(Infinity);
    });
  });

  it('screens the first step against its own shards while the window is empty', () => {
    const screen = new ResultScreen();
    const step = [summary(2.3, 0.5), summary(2.2, 0.6), summary(2.3, 0.5e30)];
    const refs = screen.references(step);
    expect(screen.verdict(step[0], refs)).toBeNull();
    expect(screen.verdict(step[2], refs)).toMatch(/^gradient norm per sample 5\.000e\+29 is above 1000x/);
  });

  it('remembers accepted results so that a rogue majority of one step cannot move the reference', () => {
    const screen = new ResultScreen({ windowSize: 8 });
    for (let i = 0; i < 4; i++) screen.accept([summary(2, 0.5), summary(2.1, 0.4)]);
    expect(screen.remembered).toBe(8);
    const step = [summary(2, 0.5), summary(1e300, 0.5), summary(1e300, 0.5)];
    const refs = screen.references(step);
    expect(screen.verdict(step[1], refs)).toMatch(/^loss per sample 1\.000e\+300 is above/);
    expect(screen.verdict(step[0], refs)).toBeNull();
  });

  it('flags an all-zero gradient as below the range', () => {
    const screen = new ResultScreen();
    screen.accept([summary(2, 0.5), summary(2, 0.5), summary(2, 0.5)]);
    const step = [summary(2, 0.5), summary(2, 0)];
    expect(screen.verdict(step[1], screen.references(step))).toMatch(/gradient norm per sample 0 is below 1\/1000/);
  });
});
