/**
 * Float32 payloads (weights, gradients) travel as raw little-endian IEEE-754 bytes in msgpack
 * bin fields, never as arrays of numbers (architecture §4). On a little-endian host (every machine
 * gradswarm targets) both directions are zero-copy views where alignment allows; a big-endian
 * host swaps into a copy.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Whether this host stores floats little-endian, as the wire does (node:os endianness(), without node:os). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The bytes of `a` in wire order (float32 little-endian).
 * @param a the floats; not copied on a little-endian host
 * @returns a view on `a`'s memory (LE host) or a byte-swapped copy (BE host)
 */
export function float32ToBytes(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return HOST_IS_LITTLE_ENDIAN ? bytes : swapBytes32(bytes);
}

/**
 * Reads wire bytes (float32 little-endian) as floats.
 * @param b the bytes; their length must be a multiple of 4
 * @param what names the field in the error message ['bytes']
 * @returns a view on `b` when the host is little-endian and `b.byteOffset % 4 === 0`, else a copy
 * @throws ProtocolError GS_ERR_PROTOCOL_INVALID if the length is not a multiple of 4
 */
export function bytesToFloat32(b: Uint8Array, what = 'bytes'): Float32Array {
  if (b.byteLength % 4 !== 0) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `${what} must hold float32 values (a multiple of 4 bytes), got ${b.byteLength} bytes`,
    );
  }
  if (!HOST_IS_LITTLE_ENDIAN) return new Float32Array(swapBytes32(b).buffer);
  // A Float32Array view needs 4-byte alignment; msgpack puts bin payloads at any offset.
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(b.slice().buffer);
}

/** The first NaN or ±Infinity: the native addon's scan under Node, a JS loop elsewhere (core finite.ts). */
export { firstNonFinite } from '@gradswarm/core';

/**
 * A copy of `bytes` with every 4-byte group reversed (little- ↔ big-endian). Internal; exported
 * for tests, since no test machine is big-endian.
 */
export function swapBytes32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}
