import { createHash } from 'node:crypto';
import type { LabeledSamples } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../src/fingerprint.js';

function base(): LabeledSamples {
  return {
    features: Float32Array.from([0, 0.5, 1, 0.25, 0.75, 0.125]),
    labels: Int32Array.from([1, 0]),
    count: 2,
    featureCount: 3,
    classCount: 2,
  };
}

describe('fingerprint', () => {
  it('is a 64-digit hex sha256', () => {
    expect(fingerprint(base())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for equal data in different arrays', () => {
    expect(fingerprint(base())).toBe(fingerprint(base()));
  });

  it('is the same for a view into a larger buffer', () => {
    const big = new Float32Array(10);
    big.set(base().features, 2);
    expect(fingerprint({ ...base(), features: big.subarray(2, 8) })).toBe(fingerprint(base()));
  });

  it('hashes the documented little-endian layout, so it cannot drift between versions', () => {
    // Built independently: 3 × uint32 LE header, float32 LE features, int32 LE labels.
    const bytes = Buffer.alloc(12 + 6 * 4 + 2 * 4);
    [2, 3, 2].forEach((v, i) => bytes.writeUInt32LE(v, 4 * i));
    [0, 0.5, 1, 0.25, 0.75, 0.125].forEach((v, i) => bytes.writeFloatLE(v, 12 + 4 * i));
    [1, 0].forEach((v, i) => bytes.writeInt32LE(v, 36 + 4 * i));
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(expected).toBe('eb93d2272a477eed2328d3c6232b743ec52f597abc8fafd8770c7361e31f0186');
    expect(fingerprint(base())).toBe(expected);
  });

  it('changes when one feature changes by one ulp', () => {
    const s = base();
    const features = s.features.slice();
    features[4] = Math.fround(features[4] + 2 ** -24);
    expect(features[4]).not.toBe(s.features[4]);
    expect(fingerprint({ ...s, features })).not.toBe(fingerprint(s));
  });

  it('changes when a label, the shape or the class count changes', () => {
    const s = base();
    const fp = fingerprint(s);
    expect(fingerprint({ ...s, labels: Int32Array.from([1, 1]) })).not.toBe(fp);
    expect(fingerprint({ ...s, featureCount: 6, count: 1, labels: Int32Array.from([1]) })).not.toBe(fp);
    expect(fingerprint({ ...s, classCount: 3 })).not.toBe(fp);
  });
});
