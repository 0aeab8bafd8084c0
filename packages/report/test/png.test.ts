import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeGrayPng, grayPngDataUrl, PNG_SIGNATURE } from '../src/png.js';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
  /** Type and data: what the CRC covers. */
  covered: Buffer;
}

/** Splits a PNG after its signature into chunks, checking each length against the buffer. */
function chunks(bytes: Uint8Array): Chunk[] {
  const png = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    expect(at + 12 + length).toBeLessThanOrEqual(png.length);
    out.push({
      type: png.toString('ascii', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
      crc: png.readUInt32BE(at + 8 + length),
      covered: png.subarray(at + 4, at + 8 + length),
    });
    at += 12 + length;
  }
  return out;
}

describe('crc32', () => {
  it('gives the standard check value of "123456789"', () => {
    expect(crc32(Buffer.from('123456789', 'ascii'))).toBe(0xcbf43926);
  });

  it('gives 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodeGrayPng', () => {
  const width = 5;
  const height = 3;
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 17) % 256);

  it('starts with the PNG signature and holds IHDR, IDAT and IEND in order', () => {
    const png = encodeGrayPng(width, height, pixels);
    expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
    expect(chunks(png).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('writes the size, 8-bit depth and grayscale colour type in IHDR', () => {
    const ihdr = chunks(encodeGrayPng(width, height, pixels))[0].data;
    expect(ihdr.length).toBe(13);
    expect(ihdr.readUInt32BE(0)).toBe(width);
    expect(ihdr.readUInt32BE(4)).toBe(height);
    expect([...ihdr.subarray(8)]).toEqual([8, 0, 0, 0, 0]);
  });

  it('ends every chunk with the CRC-32 of its type and data', () => {
    for (const c of chunks(encodeGrayPng(width, height, pixels))) expect(c.crc, c.type).toBe(crc32(c.covered));
  });

  it('stores each row behind filter byte 0, pixels unchanged (zlib inflate)', () => {
    const raw = inflateSync(chunks(encodeGrayPng(width, height, pixels))[1].data);
    expect(raw.length).toBe(height * (width + 1));
    for (let y = 0; y < height; y++) {
      expect(raw[y * (width + 1)]).toBe(0);
      expect([...raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1))]).toEqual([
        ...pixels.subarray(y * width, (y + 1) * width),
      ]);
    }
  });

  it('encodes the image at an offset into a larger buffer', () => {
    const both = new Uint8Array(2 * width * height);
    both.set(pixels, width * height);
    const raw = inflateSync(chunks(encodeGrayPng(width, height, both, width * height))[1].data);
    expect([...raw.subarray(1, width + 1)]).toEqual([...pixels.subarray(0, width)]);
  });

  it('refuses a non-positive or fractional size', () => {
    expect(() => encodeGrayPng(0, 1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encodeGrayPng(1.5, 1, new Uint8Array(2))).toThrow(/positive integers/);
  });

  it('refuses too few pixels', () => {
    expect(() => encodeGrayPng(4, 4, new Uint8Array(15))).toThrow(/must hold 16 bytes/);
    expect(() => encodeGrayPng(2, 2, new Uint8Array(8), 5)).toThrow(RangeError);
  });
});

describe('grayPngDataUrl', () => {
  it('is the base64 of the PNG behind a data:image/png prefix', () => {
    const url = grayPngDataUrl(2, 2, Uint8Array.of(0, 64, 128, 255));
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(
      Buffer.from(url.slice('data:image/png;base64,'.length), 'base64').equals(
        encodeGrayPng(2, 2, Uint8Array.of(0, 64, 128, 255)),
      ),
    ).toBe(true);
  });
});
