/**
 * A tiny PNG encoder for the report's images: 8-bit grayscale, no interlace, every scanline
 * with filter 0 (None), one IDAT chunk compressed with node:zlib. Enough for digit thumbnails
 * and weight tiles, which the page embeds as `data:image/png;base64,…` URLs.
 *
 * Layout (PNG spec §5, §11): the 8-byte signature, then chunks of
 * [length u32 BE][type 4 ASCII][data][CRC-32 u32 BE over type+data]: IHDR, IDAT, IEND.
 */
import { deflateSync } from 'node:zlib';

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** CRC-32 (ISO 3309, polynomial 0xEDB88320) lookup table, built once. */
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes`, as PNG chunks and zlib's crc32 compute it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, CRC over type and data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
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
export function encodeGrayPng(width: number, height: number, pixels: Uint8Array, offset = 0): Buffer {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (offset < 0 || offset + width * height > pixels.length) {
    throw new RangeError(`PNG pixels must hold ${width * height} bytes from offset ${offset}, got ${pixels.length}`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  // bytes 10..12: compression 0 (deflate), filter method 0, interlace 0 (none)
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    // raw[y * (width + 1)] stays 0: filter type None for this scanline
    raw.set(pixels.subarray(offset + y * width, offset + (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** The image as a `data:` URL for an `<image href>` or `<img src>`. */
export function grayPngDataUrl(width: number, height: number, pixels: Uint8Array, offset = 0): string {
  return `data:image/png;base64,${encodeGrayPng(width, height, pixels, offset).toString('base64')}`;
}
