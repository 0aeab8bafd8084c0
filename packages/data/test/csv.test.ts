import { join } from 'node:path';
import { DataFormatError, ErrorCode, type GradswarmError } from '@gradswarm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv, readCsv, resolveCsvOptions } from '../src/csv.js';
import { tempDir } from './fixtures/tmp-files.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function formatError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as GradswarmError).code).toBe(ErrorCode.DATA_FORMAT);
    return err as Error;
  }
  throw new Error('expected a DataFormatError');
}

const fixture = new URL('./fixtures/tiny.csv', import.meta.url).pathname;

describe('readCsv', () => {
  it('reads the fixture: auto-detected header, label last, blank lines and spaces ignored', () => {
    const s = readCsv(fixture);
    expect(s.count).toBe(3);
    expect(s.featureCount).toBe(3);
    expect(s.classCount).toBe(3);
    expect(Array.from(s.labels)).toEqual([1, 0, 2]);
    expect(Array.from(s.features)).toEqual([0.5, 1, -2, 1e-3, 0, 3.25, 2, 2, 2].map(Math.fround));
  });

  it('reads a gzip file the same as the plain one', () => {
    const text = '1,2,0\n3,4,1\n';
    const plain = readCsv(tmp.write('a.csv', text));
    const gz = readCsv(tmp.write('a.csv.gz', text, true));
    expect(gz).toEqual(plain);
  });

  it('takes features as they are, without scaling', () => {
    const s = parseCsv('255,-1e3,0\n', 'f');
    expect(Array.from(s.features)).toEqual([255, -1000]);
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    const s = parseCsv('\ufeffa,b\r\n1,0\r\n2,1\r\n', 'f');
    expect(s.count).toBe(2);
    expect(Array.from(s.features)).toEqual([1, 2]);
  });

  describe('options', () => {
    it("labelColumn 'first' takes the first column as the label", () => {
      const s = parseCsv('3,0.5,0.25\n1,1,2\n', 'f', { labelColumn: 'first' });
      expect(Array.from(s.labels)).toEqual([3, 1]);
      expect(Array.from(s.features)).toEqual([0.5, 0.25, 1, 2]);
      expect(s.classCount).toBe(4);
    });

    it('labelColumn N takes the 0-based column N as the label', () => {
      const s = parseCsv('0.5,2,0.25\n1,0,2\n', 'f', { labelColumn: 1 });
      expect(Array.from(s.labels)).toEqual([2, 0]);
      expect(Array.from(s.features)).toEqual([0.5, 0.25, 1, 2]);
    });

    it('header true skips the first row even when it is numeric', () => {
      expect(parseCsv('9,9\n1,0\n', 'f', { header: true }).count).toBe(1);
    });

    it('header false refuses a textual first row as a bad field', () => {
      const err = formatError(() => parseCsv('a,label\n1,0\n', 'f', { header: false }));
      expect(err.message).toContain('line 1, column 1');
    });

    it("header 'auto' keeps a numeric first row as data", () => {
      expect(parseCsv('1,0\n2,1\n', 'f').count).toBe(2);
    });

    it("header 'auto' skips a first row with a non-numeric feature field", () => {
      const s = parseCsv('pixel,1\n5,0\n', 'f');
      expect(s.count).toBe(1);
      expect(Array.from(s.features)).toEqual([5]);
    });

    it('refuses a labelColumn of the wrong type with TypeError', () => {
      expect(() => resolveCsvOptions({ labelColumn: 'middle' as never })).toThrow(TypeError);
      expect(() => resolveCsvOptions({ labelColumn: 'middle' as never })).toThrow(/options\.labelColumn must be/);
    });

    it('refuses a negative or fractional labelColumn with RangeError', () => {
      expect(() => resolveCsvOptions({ labelColumn: -1 })).toThrow(RangeError);
      expect(() => resolveCsvOptions({ labelColumn: 1.5 })).toThrow(RangeError);
    });

    it('refuses a header option of the wrong type with TypeError', () => {
      expect(() => resolveCsvOptions({ header: 'yes' as never })).toThrow(/options\.header must be/);
    });

    it('merges defaults and freezes the result', () => {
      const r = resolveCsvOptions({ header: false });
      expect(r).toEqual({ labelColumn: 'last', header: false });
      expect(Object.isFrozen(r)).toBe(true);
    });
  });

  describe('refusals', () => {
    it('refuses a label column index outside the rows', () => {
      const err = formatError(() => parseCsv('1,2,0\n', 'data.csv', { labelColumn: 3 }));
      expect(err.message).toContain('data.csv');
      expect(err.message).toContain('label column index 3 is out of range');
      expect(err.message).toContain('3 columns');
    });

    it('refuses a row with the wrong column count, saying expected and found', () => {
      const err = formatError(() => parseCsv('1,2,0\n\n3,1\n', 'data.csv'));
      expect(err.message).toBe('data.csv: line 3 has 2 columns, expected 3');
    });

    it('refuses a non-numeric feature naming the line and column', () => {
      const err = formatError(() => parseCsv('1,2,0\n3,x,1\n', 'data.csv'));
      expect(err.message).toContain('data.csv: line 2, column 2 (index 1)');
      expect(err.message).toContain('"x" is not a finite number');
    });

    it('refuses an empty field, NaN, Infinity and overflowing numbers', () => {
      for (const bad of ['', 'NaN', 'Infinity', '1e999', '0x10']) {
        const err = formatError(() => parseCsv(`1,2,0\n3,${bad},1\n`, 'f'));
        expect(err.message).toContain('line 2, column 2');
      }
    });

    it('refuses labels that are negative, fractional or too large', () => {
      for (const bad of ['-1', '1.5', '65536']) {
        const err = formatError(() => parseCsv(`1,0\n2,${bad}\n`, 'data.csv'));
        expect(err.message).toContain('data.csv: line 2, column 2 (index 1): label');
        expect(err.message).toContain('is not an integer in [0, 65535]');
      }
    });

    it('maps string labels to classes in sorted order and names them', () => {
      const d = parseCsv('1,2,versicolor\n3,4,setosa\n5,6,virginica\n7,8,setosa\n', 'iris.csv');
      expect(d.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
      expect([...d.labels]).toEqual([1, 0, 2, 0]);
      expect(d.classCount).toBe(3);
      // A numeric-looking label among names is a name too.
      expect(parseCsv('1,b\n2,7\n', 'm.csv').classNames).toEqual(['7', 'b']);
    });

    it('maps a test file by the training names and refuses a name outside them', () => {
      const d = parseCsv('1,dog\n2,cat\n', 't.csv', { classNames: ['bird', 'cat', 'dog'] });
      expect([...d.labels]).toEqual([2, 1]);
      expect(d.classCount).toBe(3);
      const err = formatError(() => parseCsv('1,dog\n2,cow\n', 't.csv', { classNames: ['cat', 'dog'] }));
      expect(err.message).toBe(
        't.csv: line 2, column 2 (index 1): label "cow" is not one of the training set\'s classes (cat, dog)',
      );
      // Integer labels with names given (a model named by --class-names) are read by number.
      expect([...parseCsv('1,1\n2,0\n', 'n.csv', { classNames: ['cat', 'dog'] }).labels]).toEqual([1, 0]);
      expect(formatError(() => parseCsv('1,dog\n2,\n', 'e.csv')).message).toContain(
        'line 2, column 2 (index 1): the label is an empty field',
      );
    });

    it('refuses an empty file', () => {
      expect(formatError(() => readCsv(tmp.write('e.csv', ''))).message).toContain('file is empty');
      expect(formatError(() => parseCsv('\n  \n', 'blank')).message).toContain('blank: file is empty');
    });

    it('refuses a file with only a header', () => {
      expect(formatError(() => parseCsv('a,b,label\n', 'h.csv')).message).toBe('h.csv: no data rows (only a header)');
    });

    it('refuses rows of a single column', () => {
      expect(formatError(() => parseCsv('1\n2\n', 'one')).message).toContain('line 1 has 1 column');
    });

    it('refuses a missing file with GS_ERR_DATA_IO naming the path', () => {
      const path = join(tmp.dir, 'missing.csv');
      expect(() => readCsv(path)).toThrow(expect.objectContaining({ code: ErrorCode.DATA_IO }));
      expect(() => readCsv(path)).toThrow(path);
    });
  });
});

describe('label spread (issue 17 item 6)', () => {
  it('refuses one label far above the others, naming its line', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i % 3},${i % 10}`);
    rows[12] = '1,65535';
    expect(() => parseCsv(`${rows.join('\n')}\n`, 'x.csv')).toThrow(
      /^x\.csv: line 13: label 65535 is far above the others \(the highest of the 10 other labels is 9\) and would make 65536 classes - help: number the classes 0 to K-1/,
    );
  });

  it('takes sparse labels while the class count stays small', () => {
    expect(parseCsv('1,0\n2,5\n3,63\n', 'x.csv').classCount).toBe(64);
  });

  it('takes a dense set of many classes', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},${i}`);
    expect(parseCsv(`${rows.join('\n')}\n`, 'x.csv').classCount).toBe(200);
  });
});
