import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, ErrorCode, GradswarmError } from '@gradswarm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIdxPair, parseIdx, readIdx } from '../src/idx.js';
import { idxBytes, sharedDataPath, tempDir } from './fixtures/tmp-files.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** Asserts that `fn` throws a DataFormatError whose message contains every fragment. */
function expectFormatError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DataFormatError);
  expect((caught as GradswarmError).code).toBe(ErrorCode.DATA_FORMAT);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
}

describe('readIdx', () => {
  const images = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);

  it('reads the dimensions and bytes of a raw file', () => {
    const path = tmp.write('images', images);
    const { dims, data } = readIdx(path);
    expect(dims).toEqual([2, 2, 3]);
    expect(Array.from(data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  });

  it('reads a gzip file the same as the raw one', () => {
    const raw = readIdx(tmp.write('a', images));
    const gz = readIdx(tmp.write('b.gz', images, true));
    expect(gz.dims).toEqual(raw.dims);
    expect(gz.data).toEqual(raw.data);
  });

  it('detects gzip by magic bytes, not by the file name', () => {
    expect(readIdx(tmp.write('plain-name', images, true)).dims).toEqual([2, 2, 3]);
    expect(readIdx(tmp.write('looks.gz', images)).dims).toEqual([2, 2, 3]);
  });

  it('accepts any number of feature dimensions for images', () => {
    expect(readIdx(tmp.write('flat', idxBytes([2, 3], [1, 2, 3, 4, 5, 6])), 'images').dims).toEqual([2, 3]);
    expect(readIdx(tmp.write('4d', idxBytes([1, 2, 1, 2], [1, 2, 3, 4])), 'images').dims).toEqual([1, 2, 1, 2]);
  });

  it('refuses a bad magic naming the file', () => {
    const path = tmp.write('bad', Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]));
    expectFormatError(() => readIdx(path), path, 'bad IDX magic', '50 4b 03 04');
  });

  it('refuses an unknown type byte as a bad magic', () => {
    const path = tmp.write('bad', idxBytes([1], [0], 0x42));
    expectFormatError(() => readIdx(path), path, 'bad IDX magic', '0x42');
  });

  it('refuses a known but unsupported element type saying which', () => {
    const path = tmp.write('floats', idxBytes([1], [0, 0, 0, 0], 0x0d));
    expectFormatError(() => readIdx(path), path, '0x0d (float32)', 'only 0x08');
  });

  it('refuses an images file with fewer than 2 dimensions', () => {
    const path = tmp.write('img', idxBytes([3], [1, 2, 3]));
    expectFormatError(() => readIdx(path, 'images'), path, 'at least 2 dimensions', 'has 1');
  });

  it('refuses a labels file without exactly 1 dimension', () => {
    const path = tmp.write('lab', idxBytes([1, 2], [1, 2]));
    expectFormatError(() => readIdx(path, 'labels'), path, 'exactly 1 dimension', 'has 2');
  });

  it('refuses a file with zero dimensions', () => {
    const path = tmp.write('zero', idxBytes([], []));
    expectFormatError(() => readIdx(path), path, 'at least 1 dimension');
  });

  it('refuses a zero-sized feature dimension in an images file', () => {
    const path = tmp.write('img', idxBytes([2, 0], []));
    expectFormatError(() => readIdx(path, 'images'), path, 'zero-sized');
  });

  it('refuses a file shorter than the 4-byte header', () => {
    const path = tmp.write('short', Uint8Array.from([0, 0, 8]));
    expectFormatError(() => readIdx(path), path, 'shorter than the 4-byte IDX header');
  });

  it('refuses a file shorter than its dimension sizes', () => {
    const path = tmp.write('short', idxBytes([10, 28, 28], []).subarray(0, 10));
    expectFormatError(() => readIdx(path), path, 'shorter than its header', '16 bytes for 3 dimensions');
  });

  it('refuses truncated data saying how many bytes were expected and found', () => {
    const path = tmp.write('trunc', idxBytes([2, 2, 3], [1, 2, 3, 4, 5]));
    expectFormatError(() => readIdx(path), path, 'truncated', 'need 12 bytes, found 5');
  });

  it('refuses a truncated gzip file the same way', () => {
    const path = tmp.write('trunc.gz', idxBytes([4], [1, 2]), true);
    expectFormatError(() => readIdx(path), path, 'truncated', 'need 4 bytes, found 2');
  });

  it('refuses over-long data saying how many bytes are extra', () => {
    const path = tmp.write('long', idxBytes([3], [1, 2, 3, 4, 5]));
    expectFormatError(() => readIdx(path), path, 'over-long', 'need 3 bytes, found 5 (2 extra)');
  });

  it('refuses a corrupt gzip stream', () => {
    const bytes = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
    const path = tmp.write('corrupt.gz', bytes);
    expectFormatError(() => readIdx(path), path, 'corrupt gzip');
  });

  it('refuses a missing file with GS_ERR_DATA_IO naming the path', () => {
    const path = join(tmp.dir, 'nope-idx3-ubyte');
    expect(() => readIdx(path)).toThrow(GradswarmError);
    try {
      readIdx(path);
    } catch (err) {
      expect((err as GradswarmError).code).toBe(ErrorCode.DATA_IO);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain('no such file');
    }
  });

  it('does not allocate from an absurd declared size', () => {
    expectFormatError(() => parseIdx(idxBytes([0xffffffff, 0xffffffff], [1]), 'huge'), 'huge', 'truncated');
  });
});

describe('loadIdxPair', () => {
  it('scales bytes by 1/255 and reads labels, featureCount and classCount', () => {
    const images = tmp.write('i', idxBytes([2, 1, 3], [0, 51, 255, 255, 0, 102]));
    const labels = tmp.write('l.gz', idxBytes([2], [4, 1]), true);
    const s = loadIdxPair(images, labels);
    expect(s.count).toBe(2);
    expect(s.featureCount).toBe(3);
    expect(s.classCount).toBe(5);
    expect(Array.from(s.labels)).toEqual([4, 1]);
    expect(s.labels).toBeInstanceOf(Int32Array);
    expect(s.features).toBeInstanceOf(Float32Array);
    expect(Array.from(s.features)).toEqual([0, 0.2, 1, 1, 0, 0.4].map(Math.fround));
  });

  it('gives at least 2 classes when every label is 0', () => {
    const s = loadIdxPair(tmp.write('i', idxBytes([1, 1], [9])), tmp.write('l', idxBytes([1], [0])));
    expect(s.classCount).toBe(2);
  });

  it('refuses an image/label count mismatch naming both files and both counts', () => {
    const images = tmp.write('imgs', idxBytes([3, 1], [1, 2, 3]));
    const labels = tmp.write('labs', idxBytes([2], [0, 1]));
    expectFormatError(() => loadIdxPair(images, labels), images, labels, '3 images', '2 labels');
  });

  it('refuses a labels file given as the images file', () => {
    const labels = tmp.write('labs', idxBytes([2], [0, 1]));
    expectFormatError(() => loadIdxPair(labels, labels), labels, 'at least 2 dimensions');
  });

  it('reads the real MNIST test set as 10000 × 784 with 10 classes', (ctx) => {
    const mnistImages = sharedDataPath('mnist/t10k-images-idx3-ubyte.gz');
    if (!existsSync(mnistImages)) ctx.skip(`real data not present: ${mnistImages} (../shared beside the checkout)`);
    const s = loadIdxPair(mnistImages, sharedDataPath('mnist/t10k-labels-idx1-ubyte.gz'));
    expect(s.count).toBe(10_000);
    expect(s.featureCount).toBe(784);
    expect(s.classCount).toBe(10);
  });
});
