/**
 * `gradswarm report` options of issue 14, item 6: a log-scale cost, the moving-average window and
 * class names, on the metrics of a real `train` run; and the per-class table every report has.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, expectUsageError, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';

let dir: string;
let metricsPath: string;

beforeAll(async () => {
  dir = await makeTempDir();
  const csv = join(dir, 'blobs.csv');
  metricsPath = join(dir, 'metrics.json');
  await writeBlobsCsv(csv, { rows: 150, seed: 1 });
  const result = await runCli([
    'train',
    '--dataset',
    `csv:${csv}`,
    ...blobsFlags(),
    '--epochs',
    '3',
    '--batch-size',
    '10',
    '--metrics',
    metricsPath,
  ]);
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm report options', () => {
  it('draws the cost on a log scale, smoothed over the given window, with the given class names', async () => {
    const out = join(dir, 'named.html');
    const result = await runCli([
      'report',
      metricsPath,
      '--out',
      out,
      '--log-scale',
      '--moving-average',
      '4',
      '--class-names',
      'red,green,blue',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('cost J (log scale)');
    expect(html).toContain('data-series="moving average of 4"');
    const table = /<div data-table="per-class">(.*?)<\/div>/.exec(html)?.[1] ?? '';
    expect([...table.matchAll(/<tr><td>([^<]*)<\/td>/g)].map((m) => m[1])).toEqual([
      'red',
      'green',
      'blue',
      'macro avg',
      'weighted avg',
    ]);
  });

  it('keeps a linear axis and class numbers by default', async () => {
    const out = join(dir, 'plain.html');
    const result = await runCli(['report', metricsPath, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).not.toContain('(log scale)');
    expect(html).toMatch(/<div data-table="per-class"><table><thead>.*?<\/thead><tbody><tr><td>0<\/td>/);
  });

  it('refuses a moving-average window that is not a positive whole number', async () => {
    expectUsageError(
      await runCli(['report', metricsPath, '--out', join(dir, 'x.html'), '--moving-average', '0']),
      /--moving-average must be a positive whole number/,
    );
  });
});
