/**
 * A tiny PNG encoder for the report's images: 8-bit grayscale, no interlace, every scanline
 * with filter 0 (None), one IDAT chunk compressed with zlib's deflate. Enough for digit thumbnails
 * and weight tiles, which the page embeds as `data:image/png;base64,…` URLs. Browser-safe: the
 * deflate and CRC-32 come from `#zlib`, node:zlib under Node (the bytes every report had) and a
 * TypeScript stand-in elsewhere (zlib-portable.ts: stored blocks, valid but uncompressed).
 *
 * Layout (PNG spec §5, §11): the 8-byte signature, then chunks of
 * [length u32 BE][type 4 ASCII][data][CRC-32 u32 BE over type+data]: IHDR, IDAT, IEND.
 */
import { crc32, deflate } from '#zlib';
import { bytesToBase64 } from './base64.js';

export { crc32 } from '#zlib';

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** One chunk: length, type, data, CRC over type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Encodes a grayscale image as PNG.
 * @param width pixels per row (≥ 1)
 * @param height rows (≥ 1)
 * @param pixels `width × height` bytes, row-major from the top-left, 0 black … 255 white
 * @param offset where the image starts in `pixels` [0]
 * @throws RangeError if the sizes are not positive integers or `pixels` is too short
 */
export function encodeGrayPng(width: number, height: number, pixels: Uint8Array, offset = 0): Uint8Array {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (offset < 0 || offset + width * height > pixels.length) {
    throw new RangeError(`PNG pixels must hold ${width * height} bytes from offset ${offset}, got ${pixels.length}`);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  // bytes 10..12: compression 0 (deflate), filter method 0, interlace 0 (none)
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    // raw[y * (width + 1)] stays 0: filter type None for this scanline
    raw.set(pixels.subarray(offset + y * width, offset + (y + 1) * width), y * (width + 1) + 1);
  }
  return concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflate(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** The image as a `data:` URL for an `<image href>` or `<img src>`. */
export function grayPngDataUrl(width: number, height: number, pixels: Uint8Array, offset = 0): string {
  return `data:image/png;base64,${bytesToBase64(encodeGrayPng(width, height, pixels, offset))}`;
}
