import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';

describe('Backoff', () => {
  it('doubles from the first delay up to the largest, and starts over after a reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, jitter: 0 }, 0);
    expect([1, 2, 3, 4, 5].map(() => b.next(0))).toEqual([100, 200, 400, 500, 500]);
    b.reset(0);
    expect(b.next(0)).toBe(100);
  });

  it('draws each delay in [(1 - jitter)·d, d]', () => {
    const low = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0.999999 }, 0);
    const high = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0 }, 0);
    expect(low.next(0)).toBe(500);
    expect(high.next(0)).toBe(1000);
  });

  it('never waits past the deadline, and gives up once it has passed', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, giveUpAfterMs: 2500, jitter: 0 }, 0);
    expect(b.next(0)).toBe(1000);
    expect(b.next(2000)).toBe(500);
    expect(b.next(2500)).toBeNull();
    b.reset(2500);
    expect(b.next(2500)).toBe(1000);
  });

  it('refuses delays that cannot work', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/0 < initialMs <= maxMs/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(/0 < initialMs <= maxMs/);
    expect(() => new Backoff({ jitter: 2 })).toThrow(/jitter must be in \[0, 1\]/);
  });
});
