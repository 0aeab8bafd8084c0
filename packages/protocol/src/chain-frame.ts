/**
 * Chunk frames of the chain reduction (architecture §8): bulk floats on a peer link travel as
 * raw binary WebSocket frames, never inside msgpack, so they are neither re-encoded nor copied
 * on the way through a worker. Layout, little-endian:
 *   0  u8   0xc1 (msgpack's "never used" byte: a chunk frame can never be taken for a message)
 *   1  u8   kind: 1 weights (backward, coordinator → head), 2 partial sum (forward, head → coordinator)
 *   2  u16  0
 *   4  u32  sequence number of this direction of the link (1, 2, …): no replay, no reordering
 *   8  u32  round: the coordinator's id for this attempt at a step (a redone step has a new one)
 *   12 u32  offset of the first float in the parameter vector
 *   16 u32  floats in this chunk (≥ 1)
 *   20 u32  P, the parameter count
 *   24 u64  0
 *   32 …    the floats (float32 LE); then the 16-byte GMAC of bytes 0 … end of floats under the link
 *           direction's key, the sequence number its nonce (chunk-mac.ts)
 */
import { CHUNK_MAC_BYTES, chunkMacOf, chunkMacVerifies } from './chunk-mac.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { bytesToFloat32, firstNonFinite } from './float-bytes.js';
import type { SessionKey } from './session-key.js';

const MAC_BYTES = CHUNK_MAC_BYTES;

export const CHUNK_FRAME_MAGIC = 0xc1;
export const CHUNK_HEADER_BYTES = 32;
export const ChunkKind = { WEIGHTS: 1, SUM: 2 } as const;
export type ChunkKindValue = (typeof ChunkKind)[keyof typeof ChunkKind];

export interface ChunkHeader {
  readonly kind: ChunkKindValue;
  readonly seq: number;
  readonly round: number;
  readonly offset: number;
  readonly count: number;
  readonly parameterCount: number;
}

export interface ChunkFrame extends ChunkHeader {
  /** The chunk's floats; a view on the frame where alignment allows. */
  readonly floats: Float32Array;
  /** The whole frame as received (restampChunk forwards it). */
  readonly bytes: Uint8Array;
}

/** Whether a binary WebSocket message is a chunk frame (else it is a msgpack message). */
export function isChunkFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === CHUNK_FRAME_MAGIC;
}

/** One signed chunk frame (`frameChunk`, then `signChunk`). */
export async function encodeChunk(
  header: Omit<ChunkHeader, 'count'>,
  floats: Float32Array,
  key: SessionKey,
): Promise<Uint8Array> {
  return signChunk(frameChunk(header, floats), key);
}

/**
 * A chunk frame with its MAC still to be written: the floats are copied in now, so the caller
 * may reuse its buffer at once.
 * @param floats the values [offset, offset + floats.length) of the vector
 * @throws RangeError for an empty chunk or one past P
 */
export function frameChunk(header: Omit<ChunkHeader, 'count'>, floats: Float32Array): Uint8Array {
  const frame = new Uint8Array(chunkFrameBytes(floats.length));
  writeChunkHeader(frame, { ...header, count: floats.length }).set(floats);
  return frame;
}

/** Bytes of a chunk frame of `count` floats: header, floats, MAC. */
export function chunkFrameBytes(count: number): number {
  return CHUNK_HEADER_BYTES + 4 * count + MAC_BYTES;
}

/**
 * Writes a chunk header into `frame` (exactly chunkFrameBytes(count) bytes, its offset a
 * multiple of 4) and returns the view of its floats, for the caller to fill in place: a partial
 * sum is added straight into the frame it leaves in, with no copy (peer-link.ts pools them).
 * @throws RangeError for an empty chunk, one past P, or a frame of another size
 */
export function writeChunkHeader(frame: Uint8Array, header: ChunkHeader): Float32Array {
  const { count } = header;
  if (count === 0 || header.offset + count > header.parameterCount)
    throw new RangeError(`a chunk of ${count} floats at ${header.offset} does not fit P = ${header.parameterCount}`);
  if (frame.byteLength !== chunkFrameBytes(count) || frame.byteOffset % 4 !== 0)
    throw new RangeError(`a frame of ${frame.byteLength} bytes cannot hold ${count} floats`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = CHUNK_FRAME_MAGIC;
  frame[1] = header.kind;
  view.setUint16(2, 0, true);
  view.setUint32(4, header.seq, true);
  view.setUint32(8, header.round, true);
  view.setUint32(12, header.offset, true);
  view.setUint32(16, count, true);
  view.setUint32(20, header.parameterCount, true);
  view.setBigUint64(24, 0n, true);
  return new Float32Array(frame.buffer, frame.byteOffset + CHUNK_HEADER_BYTES, count);
}

/**
 * Gives a received frame (decodeChunk's `bytes`) the next link's sequence number, to be signed
 * again (signChunk) and forwarded as it is: weights pass through a worker with no copy.
 */
export function restampChunk(frame: Uint8Array, seq: number): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(4, seq, true);
  return frame;
}

/** Writes the MAC of a frame made by frameChunk into its last 16 bytes; returns the frame. */
export async function signChunk(frame: Uint8Array, key: SessionKey): Promise<Uint8Array> {
  const bodyBytes = frame.byteLength - MAC_BYTES;
  const seq = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  frame.set(await chunkMacOf(key, seq, frame.subarray(0, bodyBytes)), bodyBytes);
  return frame;
}

/**
 * Reads and checks a chunk frame: its layout, its MAC under `key`, its sequence number, its range
 * within P, and that every float is finite.
 * @throws ProtocolError GS_ERR_AUTH (MAC, sequence), GS_ERR_PROTOCOL_INVALID (layout, range),
 *   GS_ERR_NON_FINITE (a NaN or ±Infinity; its index is named)
 */
export async function decodeChunk(
  frame: Uint8Array,
  key: SessionKey,
  expectedSeq: number,
  parameterCount: number,
): Promise<ChunkFrame> {
  const bad = (why: string): ProtocolError => new ProtocolError(ProtocolErrorCode.INVALID, `chunk frame: ${why}`);
  if (frame.byteLength < CHUNK_HEADER_BYTES + 4 + MAC_BYTES || frame[0] !== CHUNK_FRAME_MAGIC)
    throw bad(`${frame.byteLength} bytes is not a chunk frame`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const kind = frame[1];
  const seq = view.getUint32(4, true);
  const round = view.getUint32(8, true);
  const offset = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const P = view.getUint32(20, true);
  const bodyBytes = CHUNK_HEADER_BYTES + 4 * count;
  if (frame.byteLength !== bodyBytes + MAC_BYTES)
    throw bad(`${frame.byteLength} bytes, but ${count} floats need ${bodyBytes + MAC_BYTES}`);
  if (!(await chunkMacVerifies(key, seq, frame.subarray(0, bodyBytes), frame.subarray(bodyBytes))))
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      'chunk frame whose MAC does not verify (not from the authenticated peer)',
    );
  if (seq !== expectedSeq)
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      `chunk frame out of sequence: number ${seq}, expected ${expectedSeq}`,
    );
  if (kind !== ChunkKind.WEIGHTS && kind !== ChunkKind.SUM)
    throw bad(`kind ${kind} is neither weights (1) nor sum (2)`);
  if (P !== parameterCount) throw bad(`P is ${P}, the model has ${parameterCount} parameters`);
  if (count === 0 || offset + count > P) throw bad(`${count} floats at offset ${offset} do not fit P = ${P}`);
  const floats = bytesToFloat32(frame.subarray(CHUNK_HEADER_BYTES, bodyBytes), 'chunk frame floats');
  const i = firstNonFinite(floats);
  if (i >= 0)
    throw new ProtocolError(
      ProtocolErrorCode.NON_FINITE,
      `chunk frame holds a non-finite value (${floats[i]}) at float ${offset + i}`,
    );
  return { kind: kind as ChunkKindValue, seq, round, offset, count, parameterCount: P, floats, bytes: frame };
}
