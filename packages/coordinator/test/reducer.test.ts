import { describe, expect, it } from 'vitest';
import { reduceStats } from '../src/reducer.js';

describe('reduceStats', () => {
  it('sums loss and count in shard order, so float rounding does not depend on arrival order', () => {
    // (1e17 + 1 + −1e17) differs from (1e17 + −1e17 + 1) in float64: order is observable.
    const parts = [{ lossSum: 1e17, count: 1 }, { lossSum: 1, count: 2 }, { lossSum: -1e17, count: 3 }];
    expect(reduceStats(parts)).toEqual({ lossSum: 0, count: 6 });
    expect(reduceStats([parts[0], parts[2], parts[1]])).toEqual({ lossSum: 1, count: 6 });
  });
});
