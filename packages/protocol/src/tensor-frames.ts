/**
 * Tensor frames of the star (protocol version 3, issue 11 item 4): a step's weights and a
 * result's gradients travel as raw binary WebSocket frames, never inside msgpack: the weights
 * right after the signed step that announces them (`step.weights`), the gradients one by one
 * before the result that closes them (`result.grads` counts them; version 4, issue 17 item 2). The layout is the chain's
 * chunk frame (chain-frame.ts) with its own kinds and a dtype, little-endian:
 *   0  u8   0xc1 (msgpack's "never used" byte: a tensor frame can never be taken for a message)
 *   1  u8   kind: 3 step weights (coordinator → worker), 4 result gradient (worker → coordinator)
 *   2  u8   dtype: 0 float32, 1 bfloat16 (`--wire-precision bf16`, bf16.ts)
 *   3  u8   0
 *   4  u32  sequence number: the session's own counter of that direction, shared with its
 *           signed messages (seal.ts), so a frame can be neither replayed nor moved
 *   8  u32  round: the step's request id (a frame of another request is stale)
 *   12 u32  offset of the first value (0: a star tensor is whole)
 *   16 u32  values in this frame (P)
 *   20 u32  P, the parameter count
 *   24 u32  index of the tensor among those the message announced (gradient k)
 *   28 u32  0
 *   32 …    the values (float32 or bfloat16 LE); then 32 bytes HMAC-SHA256(session key of the
 *           direction, bytes 0 … end of values)
 */
import { verifyMac } from './auth.js';
import { float32ToBf16, bf16ToFloat32, bf16IntoBytes, bytesToBf16, firstNonFiniteBf16 } from './bf16.js';
import { CHUNK_FRAME_MAGIC, CHUNK_HEADER_BYTES } from './chain-frame.js';
import { MAC_BYTES } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { bytesToFloat32, firstNonFinite, float32ToBytes } from './float-bytes.js';
import { macOf, type SessionKey } from './session-key.js';

export const TensorKind = { STEP_WEIGHTS: 3, RESULT_GRADIENT: 4 } as const;
export type TensorKindValue = (typeof TensorKind)[keyof typeof TensorKind];

/** How floats travel: float32 as they are, or rounded to bfloat16 (half the bytes). */
export type WirePrecision = 'f32' | 'bf16';
export const WIRE_PRECISIONS: readonly WirePrecision[] = ['f32', 'bf16'];
const DTYPE_CODE: Readonly<Record<WirePrecision, number>> = { f32: 0, bf16: 1 };
const BYTES_PER_VALUE: Readonly<Record<WirePrecision, number>> = { f32: 4, bf16: 2 };

/** A checked tensor as received: its values' bytes (a view on the frame) and their precision. */
export interface WireTensor {
  readonly dtype: WirePrecision;
  readonly bytes: Uint8Array;
}

export interface TensorFrameHeader {
  readonly kind: TensorKindValue;
  readonly seq: number;
  readonly round: number;
  readonly index: number;
  readonly parameterCount: number;
}

/** Bytes of one tensor frame of `count` values. */
export function tensorFrameBytes(count: number, dtype: WirePrecision): number {
  return CHUNK_HEADER_BYTES + BYTES_PER_VALUE[dtype] * count + MAC_BYTES;
}

/**
 * One signed tensor frame; the values are copied (or rounded) into it, so the caller may reuse
 * its buffer at once.
 * @throws RangeError if `values` is not P long, or (bf16) holds a value with no finite bfloat16
 */
export async function encodeTensorFrame(
  header: TensorFrameHeader,
  values: Float32Array,
  dtype: WirePrecision,
  key: SessionKey,
): Promise<Uint8Array> {
  const count = values.length;
  if (count !== header.parameterCount)
    throw new RangeError(`a tensor of ${count} values is not one of P = ${header.parameterCount}`);
  const frame = new Uint8Array(tensorFrameBytes(count, dtype));
  const view = new DataView(frame.buffer);
  frame[0] = CHUNK_FRAME_MAGIC;
  frame[1] = header.kind;
  frame[2] = DTYPE_CODE[dtype];
  view.setUint32(4, header.seq, true);
  view.setUint32(8, header.round, true);
  view.setUint32(16, count, true);
  view.setUint32(20, header.parameterCount, true);
  view.setUint32(24, header.index, true);
  const bodyBytes = frame.byteLength - MAC_BYTES;
  const body = frame.subarray(CHUNK_HEADER_BYTES, bodyBytes);
  if (dtype === 'f32') body.set(float32ToBytes(values));
  else bf16IntoBytes(float32ToBf16(values), body);
  frame.set(await macOf(key, [frame.subarray(0, bodyBytes)]), bodyBytes);
  return frame;
}

/** The round (request id) a tensor frame claims, before it is checked; undefined if it is too short to say. */
export function tensorFrameRound(frame: Uint8Array): number | undefined {
  if (frame.byteLength < CHUNK_HEADER_BYTES) return undefined;
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(8, true);
}

/** What the receiver expects of the next tensor frame. */
export interface TensorFrameExpectation {
  readonly kind: TensorKindValue;
  /** The receiving session's next sequence number of that direction. */
  readonly seq: number;
  readonly round: number;
  readonly index: number;
  readonly parameterCount: number;
  /** The precision asked for; absent: either. */
  readonly dtype?: WirePrecision;
}

/**
 * Reads and checks a tensor frame: its layout and length, its MAC under `key`, its sequence
 * number, its kind, round (request), index and P, and that every value is finite (the native
 * scan for float32).
 * @returns the values as a view on `frame` with their precision (`readTensor` copies them out)
 * @throws ProtocolError GS_ERR_AUTH (MAC, sequence), GS_ERR_PROTOCOL_STALE (another request),
 *   GS_ERR_PROTOCOL_INVALID (layout, length, kind, index, P, dtype), GS_ERR_NON_FINITE
 */
export async function decodeTensorFrame(
  frame: Uint8Array,
  key: SessionKey,
  expect: TensorFrameExpectation,
): Promise<WireTensor> {
  const bad = (why: string): ProtocolError => new ProtocolError(ProtocolErrorCode.INVALID, `tensor frame: ${why}`);
  if (frame.byteLength < CHUNK_HEADER_BYTES + MAC_BYTES || frame[0] !== CHUNK_FRAME_MAGIC)
    throw bad(`${frame.byteLength} bytes is not a tensor frame`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const dtype = WIRE_PRECISIONS.find((p) => DTYPE_CODE[p] === frame[2]);
  if (dtype === undefined) throw bad(`dtype ${frame[2]} is neither float32 (0) nor bfloat16 (1)`);
  const count = view.getUint32(16, true);
  const bodyBytes = CHUNK_HEADER_BYTES + BYTES_PER_VALUE[dtype] * count;
  if (frame.byteLength !== bodyBytes + MAC_BYTES)
    throw bad(`${frame.byteLength} bytes, but ${count} ${dtype} values need ${bodyBytes + MAC_BYTES}`);
  if (!verifyMac(await macOf(key, [frame.subarray(0, bodyBytes)]), frame.subarray(bodyBytes)))
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      'tensor frame whose MAC does not verify (tampered with, or not from the authenticated peer)',
    );
  const seq = view.getUint32(4, true);
  if (seq !== expect.seq)
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      `tensor frame out of sequence: number ${seq}, expected ${expect.seq}`,
    );
  const round = view.getUint32(8, true);
  if (round !== expect.round)
    throw new ProtocolError(
      ProtocolErrorCode.STALE,
      `stale tensor frame of request ${round} while request ${expect.round} is in flight`,
    );
  const kind = frame[1];
  if (kind !== expect.kind) throw bad(`kind ${kind}, expected ${expect.kind}`);
  const index = view.getUint32(24, true);
  if (index !== expect.index) throw bad(`tensor ${index}, expected tensor ${expect.index}`);
  const P = view.getUint32(20, true);
  if (P !== expect.parameterCount) throw bad(`P is ${P}, the model has ${expect.parameterCount} parameters`);
  if (count !== P || view.getUint32(12, true) !== 0)
    throw bad(`${count} values at ${view.getUint32(12, true)} are not the whole of P = ${P}`);
  if (expect.dtype !== undefined && dtype !== expect.dtype)
    throw bad(`${dtype} values where ${expect.dtype} was asked for`);
  const bytes = frame.subarray(CHUNK_HEADER_BYTES, bodyBytes);
  const i =
    dtype === 'f32'
      ? firstNonFinite(bytesToFloat32(bytes, 'tensor frame values'))
      : firstNonFiniteBf16(bytesToBf16(bytes));
  if (i >= 0)
    throw new ProtocolError(
      ProtocolErrorCode.NON_FINITE,
      `tensor frame ${index} holds a non-finite value at float ${i}`,
    );
  return { dtype, bytes };
}

/**
 * Copies float32 wire bytes into a buffer the receiver keeps across steps.
 * @throws ProtocolError GS_ERR_PROTOCOL_INVALID if the bytes are not exactly `into`'s length
 */
export function copyFloat32Bytes(into: Float32Array, bytes: Uint8Array, what = 'tensor'): void {
  if (bytes.byteLength !== into.byteLength)
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `${what} of ${bytes.byteLength} bytes does not fit a buffer of ${into.length} floats (${into.byteLength} bytes)`,
    );
  into.set(bytesToFloat32(bytes, what));
}

/** A received tensor into the receiver's buffer, widened from bfloat16 when it came as such. */
export function readTensor(into: Float32Array, tensor: WireTensor, what = 'tensor'): void {
  if (tensor.dtype === 'f32') {
    copyFloat32Bytes(into, tensor.bytes, what);
    return;
  }
  if (tensor.bytes.byteLength !== 2 * into.length)
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `${what} of ${tensor.bytes.byteLength / 2} bfloat16 values does not fit a buffer of ${into.length} floats`,
    );
  bf16ToFloat32(bytesToBf16(tensor.bytes, what), into);
}
