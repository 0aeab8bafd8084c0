import { describe, expect, it } from 'vitest';
import { bf16ToFloat32, float32ToBf16 } from '../src/index.js';

/** The float32 whose bits are `u`. */
const fromBits = (u: number): number => new Float32Array(Uint32Array.of(u).buffer)[0];
const toBf16 = (...values: number[]): number[] => [...float32ToBf16(Float32Array.from(values))];

describe('float32ToBf16', () => {
  it('keeps values that are already bfloat16 exactly', () => {
    expect(toBf16(1, -2, 0.5, 0, -0, 3)).toEqual([0x3f80, 0xc000, 0x3f00, 0x0000, 0x8000, 0x4040]);
  });

  it('rounds to nearest: below half down, above half up', () => {
    expect(toBf16(fromBits(0x3f807fff))).toEqual([0x3f80]);
    expect(toBf16(fromBits(0x3f808001))).toEqual([0x3f81]);
  });

  it('breaks ties to even: 1 + 2^-8 down to 1, 1 + 3·2^-8 up to 1 + 2^-6', () => {
    // 0x3f808000 is exactly halfway between 0x3f80 (even) and 0x3f81: it goes to 0x3f80.
    expect(toBf16(fromBits(0x3f808000))).toEqual([0x3f80]);
    // 0x3f818000 is halfway between 0x3f81 (odd) and 0x3f82 (even): it goes to 0x3f82.
    expect(toBf16(fromBits(0x3f818000))).toEqual([0x3f82]);
    expect(toBf16(-fromBits(0x3f818000))).toEqual([0xbf82]);
  });

  it('carries a rounding into the exponent', () => {
    // The largest float32 below 2 rounds up to 2.
    expect(toBf16(fromBits(0x3fffffff))).toEqual([0x4000]);
  });

  it('keeps subnormals (their bits round like any other)', () => {
    expect(toBf16(fromBits(0x00010000), fromBits(0x00018000))).toEqual([0x0001, 0x0002]);
  });

  it('refuses NaN, ±Infinity and a finite value that rounds past the largest bfloat16, naming the index', () => {
    expect(() => toBf16(1, Number.NaN)).toThrow(/value NaN at index 1 has no finite bfloat16/);
    expect(() => toBf16(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => toBf16(0, 0, Number.NEGATIVE_INFINITY)).toThrow(/index 2/);
    // float32 max (0x7f7fffff) rounds up to 0x7f80, bfloat16's Infinity.
    expect(() => toBf16(fromBits(0x7f7fffff))).toThrow(/no finite bfloat16/);
    expect(toBf16(fromBits(0x7f7f7fff))).toEqual([0x7f7f]);
  });

  it('refuses an output of another length', () => {
    expect(() => float32ToBf16(new Float32Array(3), new Uint16Array(2))).toThrow(RangeError);
  });
});

describe('bf16ToFloat32', () => {
  it('widens exactly: the low 16 bits are zero', () => {
    expect([...bf16ToFloat32(Uint16Array.of(0x3f80, 0xc000, 0x3f81, 0x8000))]).toEqual([
      1,
      -2,
      fromBits(0x3f810000),
      -0,
    ]);
  });

  it('rounds within half a unit in the last place, and is the identity on bfloat16 values', () => {
    const src = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    const back = bf16ToFloat32(float32ToBf16(src));
    for (let i = 0; i < src.length; i++) {
      // Round to nearest: at most half a unit in the last of 8 significant bits, 2^-8 relative.
      expect(Math.abs(back[i] - src[i])).toBeLessThanOrEqual(Math.abs(src[i]) * 2 ** -8);
    }
    expect([...bf16ToFloat32(float32ToBf16(back))]).toEqual([...back]);
  });
});
