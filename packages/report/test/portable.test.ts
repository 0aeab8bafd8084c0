import { crc32 as zlibCrc32, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../src/base64.js';
import { crc32, deflate } from '../src/zlib-portable.js';
import { encodeGrayPng } from '../src/png.js';

/** Bytes 0..255 from a small LCG, so the cases repeat. */
function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

describe('zlib-portable (the browser build of #zlib)', () => {
  it('writes stored blocks that node:zlib inflates back, across the 65535-byte block limit', () => {
    for (const n of [0, 1, 1000, 65535, 65536, 200_001]) {
      const input = bytes(n);
      expect(Buffer.from(inflateSync(deflate(input))).equals(input)).toBe(true);
    }
  });

  it('computes the CRC-32 node:zlib computes', () => {
    for (const n of [0, 1, 9, 4096]) expect(crc32(bytes(n, n))).toBe(zlibCrc32(bytes(n, n)));
  });
});

describe('png under Node', () => {
  it('compresses its IDAT with node:zlib, as every report before the move did', () => {
    const pixels = bytes(28 * 28);
    const raw = new Uint8Array(28 * 29);
    for (let y = 0; y < 28; y++) raw.set(pixels.subarray(y * 28, (y + 1) * 28), y * 29 + 1);
    const idat = deflateSync(raw);
    const png = Buffer.from(encodeGrayPng(28, 28, pixels));
    expect(png.readUInt32BE(33)).toBe(idat.length);
    expect(png.subarray(41, 41 + idat.length).equals(idat)).toBe(true);
  });
});

describe('base64', () => {
  it('encodes as Buffer does, for every padding length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 784, 1001])
      expect(bytesToBase64(bytes(n))).toBe(Buffer.from(bytes(n)).toString('base64'));
  });

  it('decodes as Buffer does, with line breaks and the URL-safe alphabet', () => {
    for (const n of [0, 1, 2, 3, 784]) {
      const text = Buffer.from(bytes(n)).toString('base64');
      expect([...base64ToBytes(text)]).toEqual([...Buffer.from(text, 'base64')]);
      const wrapped = text.replace(/.{60}/g, '$&\n');
      expect([...base64ToBytes(wrapped)]).toEqual([...Buffer.from(wrapped, 'base64')]);
      const urlSafe = Buffer.from(bytes(n)).toString('base64url');
      expect([...base64ToBytes(urlSafe)]).toEqual([...Buffer.from(urlSafe, 'base64')]);
    }
  });
});
