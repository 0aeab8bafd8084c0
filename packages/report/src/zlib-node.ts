/**
 * `#zlib` under Node: node:zlib's deflate and CRC-32, so a report written by the CLI keeps the
 * bytes it always had. The browser build takes zlib-portable.ts instead (package.json "imports").
 */
import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';

/** A zlib stream (RFC 1950) of `bytes` at node:zlib's default level. */
export function deflate(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes);
}

/** CRC-32 (ISO 3309, as PNG chunks use it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}
