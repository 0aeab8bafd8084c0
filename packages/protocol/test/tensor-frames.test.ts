import { describe, expect, it } from 'vitest';
import {
  copyFloat32Bytes,
  decodeTensorFrame,
  encodeTensorFrame,
  ProtocolErrorCode as Code,
  readTensor,
  sessionKey,
  TensorKind,
  tensorFrameBytes,
  type ProtocolError,
} from '../src/index.js';

const P = 23;
const values = Float32Array.from({ length: P }, (_, i) => i * 0.37 - 3);
const header = { kind: TensorKind.RESULT_GRADIENT, seq: 5, round: 9, index: 1, parameterCount: P } as const;
const expectation = { kind: TensorKind.RESULT_GRADIENT, seq: 5, round: 9, index: 1, parameterCount: P } as const;
const key = () => sessionKey(new Uint8Array(32).fill(7));

async function refusal(promise: Promise<unknown>): Promise<ProtocolError> {
  const err = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as ProtocolError | null;
  expect(err, 'expected a refusal').not.toBeNull();
  return err!;
}

describe('tensor frames', () => {
  it('round-trip float32 values bit for bit, in the chain layout (0xc1, 32-byte header, MAC)', async () => {
    const k = await key();
    const frame = await encodeTensorFrame(header, values, 'f32', k);
    expect(frame.byteLength).toBe(32 + 4 * P + 32);
    expect(frame.byteLength).toBe(tensorFrameBytes(P, 'f32'));
    expect([frame[0], frame[1], frame[2]]).toEqual([0xc1, 4, 0]);
    const tensor = await decodeTensorFrame(frame, k, expectation);
    expect(tensor.dtype).toBe('f32');
    const into = new Float32Array(P);
    readTensor(into, tensor);
    expect(into).toEqual(values);
    // Decoding from any byte offset (a ws Buffer may sit anywhere in its pool).
    for (const shift of [1, 2, 3]) {
      const moved = new Uint8Array(frame.byteLength + shift);
      moved.set(frame, shift);
      const t = await decodeTensorFrame(moved.subarray(shift), k, expectation);
      readTensor(into.fill(0), t);
      expect(into).toEqual(values);
    }
  });

  it('round-trip bfloat16 at half the bytes, rounded to nearest even', async () => {
    const k = await key();
    const frame = await encodeTensorFrame(header, values, 'bf16', k);
    expect(frame.byteLength).toBe(32 + 2 * P + 32);
    expect(frame[2]).toBe(1);
    const tensor = await decodeTensorFrame(frame, k, { ...expectation, dtype: 'bf16' });
    const into = new Float32Array(P);
    readTensor(into, tensor);
    for (let i = 0; i < P; i++) expect(Math.abs(into[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) / 256);
    // Asked for float32, bf16 is refused (and the other way round).
    expect((await refusal(decodeTensorFrame(frame, k, { ...expectation, dtype: 'f32' }))).code).toBe(Code.INVALID);
  });

  it('refuse a frame whose MAC does not verify: another key, or one bit changed', async () => {
    const frame = await encodeTensorFrame(header, values, 'f32', await key());
    const other = await sessionKey(new Uint8Array(32).fill(8));
    const wrongKey = await refusal(decodeTensorFrame(frame, other, expectation));
    expect(wrongKey.code).toBe(Code.AUTH);
    expect(wrongKey.message).toMatch(/MAC does not verify/);
    const flipped = frame.slice();
    flipped[40] ^= 1;
    expect((await refusal(decodeTensorFrame(flipped, await key(), expectation))).code).toBe(Code.AUTH);
  });

  it('refuse the wrong length: a truncated frame, a count that is not P, another P', async () => {
    const k = await key();
    const frame = await encodeTensorFrame(header, values, 'f32', k);
    const cut = await refusal(decodeTensorFrame(frame.subarray(0, frame.byteLength - 4), k, expectation));
    expect(cut.code).toBe(Code.INVALID);
    expect(cut.message).toMatch(/but 23 f32 values need/);
    const short = await encodeTensorFrame({ ...header, parameterCount: P - 1 }, values.subarray(1), 'f32', k);
    const otherP = await refusal(decodeTensorFrame(short, k, expectation));
    expect(otherP.message).toMatch(/P is 22, the model has 23 parameters/);
    await expect(encodeTensorFrame(header, values.subarray(1), 'f32', k)).rejects.toThrow(RangeError);
  });

  it('refuse NaN and ±Infinity as NON_FINITE, naming where, in both precisions', async () => {
    const k = await key();
    const bad = values.slice();
    bad[17] = Number.NaN;
    const err = await refusal(decodeTensorFrame(await encodeTensorFrame(header, bad, 'f32', k), k, expectation));
    expect(err.code).toBe(Code.NON_FINITE);
    expect(err.message).toBe('tensor frame 1 holds a non-finite value at float 17');
    bad[17] = Number.NEGATIVE_INFINITY;
    const inf = await refusal(decodeTensorFrame(await encodeTensorFrame(header, bad, 'f32', k), k, expectation));
    expect(inf.code).toBe(Code.NON_FINITE);
    // A bf16 frame holding Infinity cannot be made by encodeTensorFrame: one is forged (MAC recomputed).
    const frame = await encodeTensorFrame(header, values, 'bf16', k);
    new DataView(frame.buffer).setUint16(32 + 2 * 4, 0x7f80, true);
    const { macOf } = await import('../src/session-key.js');
    frame.set(await macOf(k, [frame.subarray(0, frame.byteLength - 32)]), frame.byteLength - 32);
    const bf = await refusal(decodeTensorFrame(frame, k, expectation));
    expect(bf.code).toBe(Code.NON_FINITE);
    expect(bf.message).toMatch(/at float 4/);
  });

  it('refuse a stale round (another request) as STALE, and a frame of another kind or index', async () => {
    const k = await key();
    const frame = await encodeTensorFrame(header, values, 'f32', k);
    const stale = await refusal(decodeTensorFrame(frame, k, { ...expectation, round: 10 }));
    expect(stale.code).toBe(Code.STALE);
    expect(stale.message).toBe('stale tensor frame of request 9 while request 10 is in flight');
    const kind = await refusal(decodeTensorFrame(frame, k, { ...expectation, kind: TensorKind.STEP_WEIGHTS }));
    expect(kind.code).toBe(Code.INVALID);
    expect((await refusal(decodeTensorFrame(frame, k, { ...expectation, index: 0 }))).message).toMatch(/tensor 1/);
  });

  it('refuse a frame out of sequence (replayed or reordered) as AUTH', async () => {
    const k = await key();
    const frame = await encodeTensorFrame(header, values, 'f32', k);
    const replay = await refusal(decodeTensorFrame(frame, k, { ...expectation, seq: 6 }));
    expect(replay.code).toBe(Code.AUTH);
    expect(replay.message).toBe('tensor frame out of sequence: number 5, expected 6');
  });
});

describe('copyFloat32Bytes', () => {
  it('copies into the buffer kept across steps, and refuses a wrong length naming both', () => {
    const into = new Float32Array(4);
    copyFloat32Bytes(into, new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    expect([...into]).toEqual([1, 2, 3, 4]);
    expect(() => copyFloat32Bytes(into, new Uint8Array(12), 'gradient 0')).toThrow(
      'gradient 0 of 12 bytes does not fit a buffer of 4 floats (16 bytes)',
    );
    expect(() => readTensor(into, { dtype: 'bf16', bytes: new Uint8Array(6) })).toThrow(/3 bfloat16 values/);
  });
});
