import { existsSync } from 'node:fs';
import { DataFormatError } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { parseDigits, readDigits } from '../src/digits.js';
import { sharedDataPath } from './fixtures/tmp-files.js';

function row(pixel: string | number, label: string | number, columns = 64): string {
  return [...new Array<string | number>(columns).fill(pixel), label].join(',');
}

describe('readDigits', () => {
  it('scales pixels by 1/16 and reads the label from the last column', () => {
    const s = parseDigits(`${row(16, 3)}\n${row(4, 9)}\n`, 'd');
    expect(s.count).toBe(2);
    expect(s.featureCount).toBe(64);
    expect(s.classCount).toBe(10);
    expect(Array.from(s.labels)).toEqual([3, 9]);
    expect(s.features[0]).toBe(1);
    expect(s.features[64]).toBe(0.25);
  });

  it('refuses a row without 65 columns naming the line', () => {
    expect(() => parseDigits(`${row(0, 0)}\n${row(0, 0, 63)}\n`, 'd.csv')).toThrow(
      new DataFormatError('d.csv: line 2 has 64 columns, expected 65 (64 pixels then the label)'),
    );
  });

  it('refuses a pixel outside 0..16 naming the line and column', () => {
    expect(() => parseDigits(row(17, 0), 'd.csv')).toThrow(
      /d\.csv: line 1, column 1: pixel "17" is not a number in 0…16/,
    );
    expect(() => parseDigits(row(-1, 0), 'd.csv')).toThrow(DataFormatError);
  });

  it('refuses a label outside 0..9 naming the line', () => {
    expect(() => parseDigits(`${row(0, 0)}\n${row(0, 10)}`, 'd.csv')).toThrow(/line 2, column 65: label "10"/);
  });

  it('refuses a file without rows', () => {
    expect(() => parseDigits('\n', 'd.csv')).toThrow(/no digit rows/);
  });

  it('reads the real scikit-learn file as 1797 × 64 with maximum 1', (ctx) => {
    const path = sharedDataPath('digits/digits.csv.gz');
    if (!existsSync(path)) ctx.skip(`real data not present: ${path} (../shared beside the checkout)`);
    const s = readDigits(path);
    expect(s.count).toBe(1797);
    expect(s.featureCount).toBe(64);
    expect(s.classCount).toBe(10);
    expect(s.features.length).toBe(1797 * 64);
    expect(s.features.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
    expect(s.features.reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
    expect(new Set(s.labels).size).toBe(10);
  });
});
