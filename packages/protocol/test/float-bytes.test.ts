import { describe, expect, it } from 'vitest';
import { bytesToFloat32, float32ToBytes, ProtocolErrorCode } from '../src/index.js';
import { firstNonFinite, swapBytes32 } from '../src/float-bytes.js';
import { expectProtocolError } from './fixtures/assert.js';

describe('float32ToBytes', () => {
  it('is a view on the floats, little-endian', () => {
    const a = Float32Array.from([1, -2.5]);
    const b = float32ToBytes(a);
    expect(b.buffer).toBe(a.buffer);
    expect([...b]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]);
  });

  it('views only the subarray it is given', () => {
    const a = Float32Array.from([1, 2, 3, 4]).subarray(1, 3);
    expect(bytesToFloat32(float32ToBytes(a))).toEqual(Float32Array.from([2, 3]));
  });
});

describe('bytesToFloat32', () => {
  it('is a view when the bytes are 4-byte aligned', () => {
    const b = Uint8Array.from([0, 0, 0x80, 0x3f]);
    const f = bytesToFloat32(b);
    expect(f.buffer).toBe(b.buffer);
    expect([...f]).toEqual([1]);
  });

  it('copies when the bytes are not aligned, with the same values', () => {
    const backing = new Uint8Array(9);
    backing.set([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0], 1);
    const f = bytesToFloat32(backing.subarray(1));
    expect(f.buffer).not.toBe(backing.buffer);
    expect([...f]).toEqual([1, -2.5]);
  });

  it('refuses a length that is not a multiple of 4 as INVALID', () => {
    const err = expectProtocolError(() => bytesToFloat32(new Uint8Array(6), 'step.weights'), ProtocolErrorCode.INVALID);
    expect(err.message).toBe('step.weights must hold float32 values (a multiple of 4 bytes), got 6 bytes');
  });
});

describe('swapBytes32', () => {
  it('reverses every 4-byte group (the big-endian path) and is its own inverse', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...swapBytes32(b)]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    expect(swapBytes32(swapBytes32(b))).toEqual(b);
  });
});

describe('firstNonFinite', () => {
  it('finds the first NaN or infinity and returns -1 when all are finite', () => {
    expect(firstNonFinite(Float32Array.from([0, -0, 3.4e38, -1e-45]))).toBe(-1);
    expect(firstNonFinite(Float32Array.from([0, 1, NaN, Infinity]))).toBe(2);
    expect(firstNonFinite(Float32Array.from([-Infinity]))).toBe(0);
  });
});
