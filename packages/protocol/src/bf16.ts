/**
 * bfloat16 on the wire (`--wire-precision bf16`, issue 12 item 4): the upper half of a float32,
 * rounded to nearest with ties to even, so a run's bits depend only on the values rounded, never
 * on the machine. NaN and ±Infinity are refused, and so is a finite float32 that rounds past the
 * largest bfloat16 (it would arrive as Infinity). Values are little-endian u16 on the wire.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { HOST_IS_LITTLE_ENDIAN } from './float-bytes.js';

/** Bits of a float32 exponent field; all ones is NaN or ±Infinity. */
const F32_EXPONENT = 0x7f800000;
/** Bits of a bfloat16 exponent field. */
const BF16_EXPONENT = 0x7f80;

/**
 * Rounds float32 values to bfloat16 (round to nearest, ties to even).
 * @param src the float32 values
 * @param out [new] where the bfloat16 bit patterns go, as long as src
 * @returns out
 * @throws RangeError for a NaN, an ±Infinity or a value that rounds to infinity (its index is named)
 */
export function float32ToBf16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (out.length !== src.length) throw new RangeError(`bf16 output holds ${out.length} values, input ${src.length}`);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    // Adding 0x7fff plus the kept half's lowest bit rounds to nearest with ties to even.
    const h = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
    if ((u & F32_EXPONENT) === F32_EXPONENT || (h & BF16_EXPONENT) === BF16_EXPONENT)
      throw new RangeError(`value ${src[i]} at index ${i} has no finite bfloat16`);
    out[i] = h;
  }
  return out;
}

/**
 * Widens bfloat16 values to float32 (exact: the low 16 bits are zero).
 * @param out [new] the float32 values, as long as src
 */
export function bf16ToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length !== src.length) throw new RangeError(`float32 output holds ${out.length} values, input ${src.length}`);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** The first bfloat16 NaN or ±Infinity (exponent all ones), or -1. */
export function firstNonFiniteBf16(values: Uint16Array): number {
  for (let i = 0; i < values.length; i++) if ((values[i] & BF16_EXPONENT) === BF16_EXPONENT) return i;
  return -1;
}

/** The bfloat16 values of wire bytes (u16 little-endian): a view where the host and alignment allow. */
export function bytesToBf16(b: Uint8Array, what = 'bytes'): Uint16Array {
  if (b.byteLength % 2 !== 0)
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `${what} must hold bfloat16 values (a multiple of 2 bytes), got ${b.byteLength} bytes`,
    );
  if (HOST_IS_LITTLE_ENDIAN && b.byteOffset % 2 === 0) return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  const out = new Uint16Array(b.byteLength / 2);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

/** Writes bfloat16 values into wire bytes (u16 little-endian), `2 · values.length` of them. */
export function bf16IntoBytes(values: Uint16Array, into: Uint8Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    into.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, values[i], true);
}
