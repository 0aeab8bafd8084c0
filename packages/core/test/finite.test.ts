// The finiteness scan (native addon and JS loop agree) and the platform's synchronous HMAC.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeFirstNonFinite } from '../src/backends/native.js';
import { platform as node } from '../src/backends/platform-node.js';
import { platform as portable } from '../src/backends/platform-portable.js';
import { firstNonFinite, firstNonFiniteJs, syncHmacSha256 } from '../src/finite.js';

const scan = nativeFirstNonFinite();

describe('firstNonFinite', () => {
  it.skipIf(scan === null)('runs in the native addon and finds what the JS loop finds, at every position', () => {
    const native = scan!;
    // Lengths around the addon's blocks of 64, a bad value at each position, and all-finite.
    for (const length of [0, 1, 63, 64, 65, 200]) {
      const a = Float32Array.from({ length }, (_, i) => (i % 7) - 3.5 + i * 1e30);
      expect(native(a)).toBe(-1);
      expect(firstNonFiniteJs(a)).toBe(-1);
      for (let at = 0; at < length; at += Math.max(1, length >> 3)) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const b = a.slice();
          b[at] = bad;
          if (at + 5 < length) b[at + 5] = Number.NaN;
          expect(native(b)).toBe(at);
          expect(firstNonFiniteJs(b)).toBe(at);
          expect(firstNonFinite(b)).toBe(at);
        }
      }
    }
  });

  it.skipIf(scan === null)(
    'sees the largest finite float, subnormals and -0 as finite, and any NaN payload as not',
    () => {
      const a = Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0);
      expect(scan!(a)).toBe(-1);
      const bits = new Uint32Array(4).fill(0x3f800000);
      bits[2] = 0xffc00001; // a negative NaN with a payload
      expect(scan!(new Float32Array(bits.buffer))).toBe(2);
    },
  );

  it.skipIf(scan === null)('scans a view at its own offset, and refuses what is not a Float32Array', () => {
    const a = new Float32Array(10);
    a[3] = Number.NaN;
    expect(scan!(a.subarray(2))).toBe(1);
    expect(scan!(a.subarray(4))).toBe(-1);
    expect(() => scan!(new Float64Array(4) as unknown as Float32Array)).toThrow(TypeError);
  });
});

describe('syncHmacSha256', () => {
  it('is node:crypto HMAC-SHA256 over the parts concatenated under Node, and absent on the portable platform', () => {
    const hmac = syncHmacSha256()!;
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4)];
    const want = createHmac('sha256', key)
      .update(Uint8Array.of(1, 2, 3, 4))
      .digest();
    expect(Buffer.from(hmac(key, parts)).equals(want)).toBe(true);
    expect(node.syncHmacSha256()).not.toBeNull();
    expect(portable.syncHmacSha256()).toBeNull();
    expect(portable.nativeFirstNonFinite()).toBeNull();
  });
});
