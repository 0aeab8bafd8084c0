import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/sha256.js';
import { platform as portable } from '../src/platform-portable.js';

const nodeSha256 = (parts: readonly Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Bytes 0..255 from a small LCG, so the cases repeat. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

describe('sha256Hex (the portable fingerprint hash)', () => {
  it('gives the FIPS 180-4 digests of "" and "abc"', () => {
    expect(sha256Hex([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex([Uint8Array.of(0x61, 0x62, 0x63)])).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it("equals node:crypto's digest at every padding length and for parts split anywhere", () => {
    for (let n = 0; n < 200; n++) expect(sha256Hex([bytes(n, n)])).toBe(nodeSha256([bytes(n, n)]));
    const whole = bytes(10_000, 5);
    for (const cuts of [[12], [1, 63, 64, 65], [12, 3140, 9999]]) {
      const parts = [0, ...cuts, whole.length]
        .slice(1)
        .map((end, i, all) => whole.subarray(i === 0 ? 0 : all[i - 1], end));
      expect(sha256Hex(parts)).toBe(nodeSha256([whole]));
    }
  });
});

describe('the portable platform (#platform outside Node)', () => {
  it('reads no files and says what to use instead', () => {
    expect(() => portable.readFile('x.csv')).toThrow(/reads no files - help: .*parseCsv/);
    expect(() => portable.requireMnist()).toThrow(/only under Node - help: /);
    expect(portable.exists('x')).toBe(false);
  });
});
