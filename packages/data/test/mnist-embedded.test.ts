import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/mnist-embedded.js';

function bytesOf(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('loadEmbeddedMnist', () => {
  const s = loadEmbeddedMnist();

  it('holds 10000 samples of 784 features in 10 classes', () => {
    expect(s.count).toBe(10_000);
    expect(s.featureCount).toBe(784);
    expect(s.classCount).toBe(10);
    expect(s.features.length).toBe(10_000 * 784);
    expect(s.labels.length).toBe(10_000);
  });

  it('has every feature in [0, 1] and uses the whole range', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of s.features) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('lays samples out by digit: every 0, then every 1, …', () => {
    for (let i = 1; i < s.count; i++) expect(s.labels[i]).toBeGreaterThanOrEqual(s.labels[i - 1]);
    expect(s.labels[0]).toBe(0);
    expect(s.labels[s.count - 1]).toBe(9);
    expect(new Set(s.labels).size).toBe(10);
  });

  it('builds the same samples on every call, in fresh arrays', () => {
    const again = loadEmbeddedMnist();
    // Not `.not.toBe`: on a mismatch vitest's toBe deep-compares the two arrays for its hint.
    expect(again.features === s.features).toBe(false);
    // Byte comparison: a deep toEqual over 7.8 M elements takes minutes.
    expect(bytesOf(again.features).equals(bytesOf(s.features))).toBe(true);
    expect(bytesOf(again.labels).equals(bytesOf(s.labels))).toBe(true);
  });
});
