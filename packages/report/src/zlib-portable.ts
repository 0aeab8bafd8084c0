/**
 * `#zlib` outside Node (package.json "imports", the `default` condition): a zlib stream of stored
 * deflate blocks (RFC 1950/1951, BTYPE 00) and a table CRC-32. Valid PNG data any decoder reads,
 * uncompressed; a browser has no synchronous deflate (CompressionStream is async).
 */

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

/** Largest payload of one stored block (its LEN field is 16 bits). */
const MAX_STORED_BYTES = 0xffff;

/** A zlib stream of `bytes` in stored (uncompressed) deflate blocks, with its Adler-32. */
export function deflate(bytes: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(bytes.length / MAX_STORED_BYTES));
  const out = new Uint8Array(2 + blocks * 5 + bytes.length + 4);
  const view = new DataView(out.buffer);
  out[0] = 0x78; // CM 8 (deflate), CINFO 7 (32 KiB window)
  out[1] = 0x01; // FLEVEL 0, no dictionary; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_STORED_BYTES;
    const length = Math.min(MAX_STORED_BYTES, bytes.length - start);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    view.setUint16(at + 1, length, true);
    view.setUint16(at + 3, ~length & 0xffff, true);
    out.set(bytes.subarray(start, start + length), at + 5);
    at += 5 + length;
  }
  let a = 1;
  let s = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]) % 65521;
    s = (s + a) % 65521;
  }
  view.setUint32(at, ((s << 16) | a) >>> 0);
  return out;
}
