import { createHash } from 'node:crypto';
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { DATASET_HEADER_BYTES, decodeDataset, encodeDataset } from '../src/dataset-bytes.js';
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

/** Expects `fn` to throw a DataFormatError whose message starts with `source:`; returns the message. */
function formatError(fn: () => unknown, source: string): string {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(DataFormatError);
  const { message } = thrown as DataFormatError;
  expect(message.startsWith(`${source}: `)).toBe(true);
  return message;
}

describe('encodeDataset', () => {
  it('writes the header, float32 features and int32 labels, all little-endian', () => {
    const expected = Buffer.alloc(12 + 6 * 4 + 2 * 4);
    [2, 3, 2].forEach((v, i) => expected.writeUInt32LE(v, 4 * i));
    [0, 0.5, 1, 0.25, 0.75, 0.125].forEach((v, i) => expected.writeFloatLE(v, 12 + 4 * i));
    [1, 0].forEach((v, i) => expected.writeInt32LE(v, 36 + 4 * i));
    expect(encodeDataset(base())).toEqual(new Uint8Array(expected));
  });

  it('hashes to the fingerprint: sha256(encodeDataset(s)) === fingerprint(s)', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(encodeDataset(base()))).toBe(fingerprint(base()));
    const rows = 50;
    const big: LabeledSamples = {
      features: Float32Array.from({ length: rows * 7 }, (_, i) => Math.sin(i)),
      labels: Int32Array.from({ length: rows }, (_, i) => i % 4),
      count: rows,
      featureCount: 7,
      classCount: 4,
    };
    expect(sha(encodeDataset(big))).toBe(fingerprint(big));
  });

  it('writes only the first count rows of longer arrays, as fingerprint does', () => {
    const s = base();
    const longer = {
      ...s,
      features: Float32Array.from([...s.features, 9, 9, 9]),
      labels: Int32Array.from([...s.labels, 1]),
    };
    expect(encodeDataset(longer)).toEqual(encodeDataset(s));
  });

  it('refuses arrays shorter than the shape says', () => {
    expect(() => encodeDataset({ ...base(), count: 3 })).toThrow(RangeError);
  });
});

describe('decodeDataset', () => {
  it('round-trips a data set into fresh arrays', () => {
    const s = base();
    const decoded = decodeDataset(encodeDataset(s), 'mem');
    expect(decoded).toEqual(s);
    expect(decoded.features).toBeInstanceOf(Float32Array);
    expect(decoded.labels).toBeInstanceOf(Int32Array);
  });

  it('reads bytes at any offset (not 4-byte aligned)', () => {
    const bytes = encodeDataset(base());
    const framed = new Uint8Array(bytes.length + 1);
    framed.set(bytes, 1);
    expect(decodeDataset(framed.subarray(1), 'mem')).toEqual(base());
  });

  it('round-trips an empty data set', () => {
    const empty: LabeledSamples = {
      features: new Float32Array(0),
      labels: new Int32Array(0),
      count: 0,
      featureCount: 5,
      classCount: 3,
    };
    expect(decodeDataset(encodeDataset(empty), 'mem')).toEqual(empty);
  });

  it('refuses bytes shorter than the header, naming the source', () => {
    const message = formatError(
      () => decodeDataset(new Uint8Array(DATASET_HEADER_BYTES - 1), 'data set abc'),
      'data set abc',
    );
    expect(message).toBe('data set abc: 11 bytes, shorter than the 12-byte data-set header');
  });

  it('refuses a length that does not match the header, one byte short or long', () => {
    const bytes = encodeDataset(base());
    for (const wrong of [bytes.subarray(0, bytes.length - 1), Uint8Array.from([...bytes, 0])]) {
      const message = formatError(() => decodeDataset(wrong, 'cache/x.bin'), 'cache/x.bin');
      expect(message).toContain('header says 2 samples × 3 features (44 bytes)');
    }
  });

  it('refuses a header whose sizes overflow any real length', () => {
    const bytes = encodeDataset(base());
    new DataView(bytes.buffer).setUint32(0, 0xffffffff, true);
    new DataView(bytes.buffer).setUint32(4, 0xffffffff, true);
    formatError(() => decodeDataset(bytes, 'src'), 'src');
  });

  it('refuses a label outside [0, classCount)', () => {
    for (const label of [2, -1]) {
      const bytes = encodeDataset({ ...base(), labels: Int32Array.from([1, label]) });
      const message = formatError(() => decodeDataset(bytes, 'src'), 'src');
      expect(message).toBe(`src: label of sample 1 is ${label}, outside [0, 2)`);
    }
  });

  it('refuses a class count of 0 and a feature that is not finite', () => {
    formatError(
      () => decodeDataset(encodeDataset({ ...base(), classCount: 0, labels: Int32Array.from([0, 0]) }), 'src'),
      'src',
    );
    const nan = encodeDataset({ ...base(), features: Float32Array.from([0, 0.5, 1, 0.25, NaN, 0.125]) });
    expect(formatError(() => decodeDataset(nan, 'src'), 'src')).toBe('src: feature 1 of sample 1 is NaN');
  });
});
