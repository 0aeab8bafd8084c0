import { describe, expect, it } from 'vitest';
import { reduceInOrder } from '../src/reducer.js';

describe('reduceInOrder', () => {
  it('sums in shard order, so float32 rounding does not depend on arrival order', () => {
    // (1e8 + 1 + −1e8) differs from (1e8 + −1e8 + 1) in float32: order is observable.
    const parts = [Float32Array.of(1e8), Float32Array.of(1), Float32Array.of(-1e8)];
    const out = new Float32Array(1);
    reduceInOrder(parts, out);
    expect(out[0]).toBe(0);
    reduceInOrder([parts[0], parts[2], parts[1]], out);
    expect(out[0]).toBe(1);
  });

  it('accepts the output buffer as its own first part', () => {
    const out = Float32Array.of(1, 2);
    reduceInOrder([out, Float32Array.of(3, 4)], out);
    expect([...out]).toEqual([4, 6]);
  });
});
