import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { syncHmac } from '../src/leave-now.js';

describe('the closing tab’s synchronous HMAC', () => {
  it('is HMAC-SHA256 of the concatenated parts, as node:crypto computes it', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 200 }, (_, i) => i)];
    const want = createHmac('sha256', key);
    for (const p of parts) want.update(p);
    expect(Buffer.from(syncHmac(key, parts)).toString('hex')).toBe(want.digest('hex'));
  });
});
