/**
 * Per-class precision, recall and F1 in `gradswarm eval` (issue 14, item 6), text and --json,
 * checked against the confusion matrix eval prints beside them.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, lastJsonLine, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';

interface PerClass {
  class: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
interface EvalSummary {
  confusion: number[][];
  samples: number;
  perClass: PerClass[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
}

let dir: string;
let modelPath: string;
let testCsv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  const trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  modelPath = join(dir, 'model.json');
  await writeBlobsCsv(trainCsv, { rows: 150, seed: 1 });
  await writeBlobsCsv(testCsv, { rows: 60, seed: 2 });
  // One epoch: a model that still makes mistakes, so the figures differ between classes.
  const result = await runCli([
    'train',
    '--dataset',
    `csv:${trainCsv}`,
    '--test',
    `csv:${testCsv}`,
    ...blobsFlags({ lr: '0.02' }),
    '--epochs',
    '1',
    '--batch-size',
    '30',
    '--out',
    modelPath,
  ]);
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm eval per-class metrics', () => {
  it('gives precision, recall, F1 and support per class that follow from the confusion matrix', async () => {
    const result = await runCli(['eval', '--model', modelPath, '--dataset', `csv:${testCsv}`, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const ev = lastJsonLine<EvalSummary>(result.stdout);
    const m = ev.confusion;
    expect(ev.perClass).toHaveLength(m.length);
    ev.perClass.forEach((c, k) => {
      const support = m[k].reduce((a, b) => a + b, 0);
      const predicted = m.reduce((a, row) => a + row[k], 0);
      expect(c.class).toBe(k);
      expect(c.support).toBe(support);
      expect(c.precision).toBe(predicted > 0 ? m[k][k] / predicted : 0);
      expect(c.recall).toBe(support > 0 ? m[k][k] / support : 0);
      expect(c.f1).toBeCloseTo(
        c.precision + c.recall > 0 ? (2 * c.precision * c.recall) / (c.precision + c.recall) : 0,
        12,
      );
    });
    expect(ev.macro.f1).toBeCloseTo(ev.perClass.reduce((a, c) => a + c.f1, 0) / m.length, 12);
    expect(ev.weighted.recall).toBeCloseTo(m.reduce((a, row, i) => a + row[i], 0) / ev.samples, 12);
  });

  it('prints a per-class table with macro and weighted averages', async () => {
    const result = await runCli(['eval', '--model', modelPath, '--dataset', `csv:${testCsv}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/per class: +precision +recall +f1 +support\n/);
    expect(result.stdout).toMatch(/\n {2}0 +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +20\n/);
    expect(result.stdout).toMatch(
      /\n {2}macro avg +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +60\n {2}weighted avg +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +60\n/,
    );
  });
});
