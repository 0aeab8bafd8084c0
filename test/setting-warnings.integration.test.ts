/**
 * Issue 16 item 9: settings that run but cannot train well get one `warning:` line each on
 * stderr before the first step; the run goes on. A sound run gets none.
 */
import { availableParallelism } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';

let dir: string;
let csv: string;
let rawCsv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 150 });
  // Whole-number features 0..16 like the UCI digits' raw CSV.
  rawCsv = join(dir, 'raw.csv');
  await writeFile(
    rawCsv,
    `${Array.from({ length: 60 }, (_, i) => `${i % 17},${(i * 7) % 17},${16 - (i % 17)},${i % 3}`).join('\n')}\n`,
  );
});

afterAll(async () => {
  await removeTempDir(dir);
});

const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning: '));

describe('setting warnings', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'a batch larger than the training set',
      ['--batch-size', '500'],
      /^warning: --batch-size 500 is more than the 120 training samples: .* - help: /,
    ],
    [
      'more minibatches than samples',
      ['--minibatches', '200'],
      /^warning: --minibatches 200 is more than the 120 training samples: some minibatches are empty - help: /,
    ],
    [
      'a --test-fraction leaving almost nothing to train',
      ['--test-fraction', '0.97'],
      /^warning: --test-fraction 0\.97 leaves 5 training samples: too few to learn from - help: /,
    ],
    [
      'more threads than cores',
      ['--threads', String(availableParallelism() + 3)],
      new RegExp(
        `^warning: --threads ${availableParallelism() + 3} is more than the ${availableParallelism()} cores of this machine`,
      ),
    ],
  ];
  for (const [what, flags, warning] of cases) {
    it(`warns about ${what} and trains anyway`, async () => {
      const result = await runCli(['train', '--dataset', `csv:${csv}`, ...blobsFlags(), '--epochs', '1', ...flags]);
      expect(result.code, result.stderr).toBe(0);
      expect(warnings(result.stderr)).toHaveLength(1);
      expect(warnings(result.stderr)[0]).toMatch(warning);
    });
  }

  it('warns about unscaled whole-number csv features, and not with --scale', async () => {
    const flags = ['train', '--dataset', `csv:${rawCsv}`, ...blobsFlags(), '--epochs', '1'];
    const raw = await runCli(flags);
    expect(raw.code, raw.stderr).toBe(0);
    expect(warnings(raw.stderr)).toEqual([
      `warning: the features of csv:${rawCsv} are whole numbers from 0 to 16, unscaled: such inputs saturate the units and train poorly - help: add --scale minmax (or --scale standard)`,
    ]);
    const scaled = await runCli([...flags, '--scale', 'minmax']);
    expect(warnings(scaled.stderr)).toEqual([]);
  });

  it('gives a sound run no warning', async () => {
    const result = await runCli([
      'train',
      '--dataset',
      `csv:${csv}`,
      ...blobsFlags(),
      '--epochs',
      '1',
      '--batch-size',
      '10',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(warnings(result.stderr)).toEqual([]);
  });
});
