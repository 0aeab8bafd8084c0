import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chunkMacOf,
  useSyncGmac,
  CHUNK_HEADER_BYTES,
  ChunkKind,
  decodeChunk,
  encodeChunk,
  sessionKey,
  isChunkFrame,
  CHUNK_MAC_BYTES,
  ProtocolError,
  chunkFrameBytes,
  restampChunk,
  signChunk,
  writeChunkHeader,
} from '../src/index.js';

const key = () => sessionKey(new Uint8Array(32).fill(7));
const otherKey = () => sessionKey(new Uint8Array(32).fill(8));
const header = { kind: ChunkKind.SUM, seq: 1, round: 9, offset: 4, parameterCount: 10 } as const;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error('expected a refusal');
}

describe('chain chunk frames', () => {
  it('round-trips the header and the floats, and starts with a byte msgpack never uses', async () => {
    const floats = Float32Array.of(1.5, -2, 3.25);
    const frame = await encodeChunk(header, floats, await key());
    expect(frame.byteLength).toBe(CHUNK_HEADER_BYTES + 12 + CHUNK_MAC_BYTES);
    expect(isChunkFrame(frame)).toBe(true);
    expect(frame[0]).toBe(0xc1);
    const got = await decodeChunk(frame, await key(), 1, 10);
    expect(got.bytes).toBe(frame);
    expect({ ...got, floats: Array.from(got.floats), bytes: undefined }).toEqual({
      kind: ChunkKind.SUM,
      seq: 1,
      round: 9,
      offset: 4,
      count: 3,
      parameterCount: 10,
      floats: [1.5, -2, 3.25],
      bytes: undefined,
    });
  });

  it('fills a reused frame in place, and a restamped frame verifies under its new number only', async () => {
    const frame = new Uint8Array(chunkFrameBytes(3)).fill(0xee);
    writeChunkHeader(frame, { ...header, count: 3 }).set([7, 8, 9]);
    await signChunk(frame, await key());
    // Every header byte is written (a pooled frame holds an older chunk's bytes).
    expect(Array.from((await decodeChunk(frame, await key(), 1, 10)).floats)).toEqual([7, 8, 9]);
    const fresh = await encodeChunk(header, Float32Array.of(7, 8, 9), await key());
    expect(Buffer.from(frame).equals(Buffer.from(fresh))).toBe(true);
    await signChunk(restampChunk(frame, 4), await otherKey());
    expect(await refusal(decodeChunk(frame, await otherKey(), 1, 10))).toBe('GS_ERR_AUTH');
    const got = await decodeChunk(frame, await otherKey(), 4, 10);
    expect([got.seq, got.round, got.offset, Array.from(got.floats)]).toEqual([4, 9, 4, [7, 8, 9]]);
    expect(() => writeChunkHeader(new Uint8Array(chunkFrameBytes(2)), { ...header, count: 3 })).toThrow(RangeError);
    expect(() => writeChunkHeader(frame, { ...header, count: 7 })).toThrow(/does not fit P = 10/);
  });

  it('refuses a frame signed with another key, out of sequence, or with a flipped bit', async () => {
    const frame = await encodeChunk(header, Float32Array.of(1, 2), await key());
    expect(await refusal(decodeChunk(frame, await otherKey(), 1, 10))).toBe('GS_ERR_AUTH');
    expect(await refusal(decodeChunk(frame, await key(), 2, 10))).toBe('GS_ERR_AUTH');
    const flipped = frame.slice();
    flipped[CHUNK_HEADER_BYTES] ^= 1;
    expect(await refusal(decodeChunk(flipped, await key(), 1, 10))).toBe('GS_ERR_AUTH');
  });

  it('refuses NaN and Infinity, naming the float', async () => {
    const frame = await encodeChunk(header, Float32Array.of(1, Number.NaN), await key());
    await expect(decodeChunk(frame, await key(), 1, 10)).rejects.toThrow(/non-finite value \(NaN\) at float 5/);
    const inf = await encodeChunk(header, Float32Array.of(Number.POSITIVE_INFINITY), await key());
    expect(await refusal(decodeChunk(inf, await key(), 1, 10))).toBe('GS_ERR_PROTOCOL_NON_FINITE');
  });

  it('refuses a frame whose length, range or model does not fit', async () => {
    const k = await key();
    const frame = await encodeChunk(header, Float32Array.of(1, 2), k);
    // Cut short: the declared count no longer matches the bytes.
    expect(await refusal(decodeChunk(frame.subarray(0, frame.byteLength - 4), k, 1, 10))).toBe(
      'GS_ERR_PROTOCOL_INVALID',
    );
    expect(await refusal(decodeChunk(frame, k, 1, 11))).toBe('GS_ERR_PROTOCOL_INVALID');
    await expect(encodeChunk({ ...header, offset: 9 }, Float32Array.of(1, 2), k)).rejects.toThrow(RangeError);
    expect(isChunkFrame(Uint8Array.of(0x85))).toBe(false);
  });

  it('signs with the AES-256-GCM tag of header and floats, its nonce the sequence number, which GCM decryption accepts', async () => {
    const k = await key();
    const frame = await encodeChunk({ ...header, seq: 5 }, Float32Array.of(1, 2), k);
    const body = frame.subarray(0, frame.byteLength - CHUNK_MAC_BYTES);
    const iv = new Uint8Array(12);
    iv[0] = 5;
    iv.set(new TextEncoder().encode('gschunk1'), 4);
    // An independent check: OpenSSL's GCM decryption of an empty ciphertext authenticates the tag.
    const d = createDecipheriv('aes-256-gcm', new Uint8Array(32).fill(7), iv);
    d.setAAD(body);
    d.setAuthTag(frame.subarray(frame.byteLength - CHUNK_MAC_BYTES));
    expect(() => d.final()).not.toThrow();
    // The same bytes under another sequence number get another tag: the nonce is in use.
    expect(Buffer.from(await chunkMacOf(k, 6, body)).equals(Buffer.from(await chunkMacOf(k, 5, body)))).toBe(false);
    expect(() => chunkMacOf(k, 0, body)).toThrow(RangeError);
  });

  it('gives the same tag through Web Crypto as through the synchronous path', async () => {
    const k = await key();
    const body = new Uint8Array(1000).map((_, i) => i * 7);
    const syncTag = await chunkMacOf(k, 3, body);
    const before = useSyncGmac(null);
    try {
      const webTag = await chunkMacOf(k, 3, body);
      expect(Array.from(webTag)).toEqual(Array.from(syncTag));
      const frame = await encodeChunk(header, Float32Array.of(4, 5), k);
      useSyncGmac(before);
      expect(Array.from((await decodeChunk(frame, k, 1, 10)).floats)).toEqual([4, 5]);
    } finally {
      useSyncGmac(before);
    }
  });
});
