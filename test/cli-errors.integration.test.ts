/**
 * The CLI's refusal contract: every bad command, flag, flag value or input file exits 2 with one
 * `gradswarm: error: ...` line on stderr that names the problem, and no stack trace. Plus --help.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUsageError, makeTempDir, removeTempDir, REPO_ROOT, runCli, writeBlobsCsv } from './helpers/cli.js';

let dir: string;
let tinyCsv: string;

/** `train` on a tiny valid data set (one epoch unless flags say otherwise): a late refusal costs no real training. */
function tinyTrain(flags: string[]): string[] {
  return ['train', '--dataset', `csv:${tinyCsv}`, ...(flags.includes('--epochs') ? [] : ['--epochs', '1']), ...flags];
}

/** An IDX header: magic 00 00 08 <dims>, then one big-endian uint32 per dimension. */
function idx(magic: number[], dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  Buffer.from(magic).copy(header, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

beforeAll(async () => {
  dir = await makeTempDir();
  tinyCsv = join(dir, 'tiny.csv');
  await writeBlobsCsv(tinyCsv, { rows: 12 });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm', () => {
  describe('commands', () => {
    it('refuses an unknown command', async () => {
      expectUsageError(await runCli(['frobnicate']), /unknown (argument|command).*frobnicate/i);
    });

    it('refuses to run without a command', async () => {
      expectUsageError(await runCli([]), /name a command: train, coordinator, worker, launch, eval/);
    });

    it('refuses an unknown flag before doing any work', async () => {
      const out = join(dir, 'unknown-flag-model.json');
      const result = await runCli(tinyTrain(['--bogus', '1', '--out', out]));
      expectUsageError(result, /unknown argument: bogus/i);
      expect(result.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  });

  describe('--help', () => {
    it('gradswarm --help exits 0 and lists the commands', async () => {
      const result = await runCli(['--help']);
      expect(result.code).toBe(0);
      for (const command of ['train', 'eval', 'gradcheck'])
        expect(result.stdout).toMatch(new RegExp(`gradswarm ${command}\\b`));
    });

    it('gradswarm train --help exits 0 and lists the flags', async () => {
      const result = await runCli(['train', '--help']);
      expect(result.code).toBe(0);
      const flags = [
        '--dataset',
        '--test',
        '--test-fraction',
        '--scale',
        '--layers',
        '--hidden',
        '--output',
        '--loss',
        '--l1',
        '--l2',
        '--reduction',
        '--epochs',
        '--batch-size',
        '--minibatches',
        '--lr',
        '--momentum',
        '--seed',
        '--out',
        '--metrics',
        '--json',
        '--kernel',
      ];
      for (const flag of flags) expect(result.stdout).toMatch(new RegExp(`${flag}\\b`));
    });

    // Issue 16 item 12.
    it('gradswarm --version prints the version and exits 0', async () => {
      const result = await runCli(['--version']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        `${JSON.parse(await readFile(join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')).version}\n`,
      );
    });

    it('prints each example command whole on its own line, under a # line saying what it does', async () => {
      const lines = (await runCli(['train', '--help'])).stdout.split('\n');
      const i = lines.indexOf('  gradswarm train --dataset digits:digits.csv.gz --layers 30 --epochs 50');
      expect(i, lines.join('\n')).toBeGreaterThan(0);
      expect(lines[i - 1]).toBe('  # train on the UCI digits');
    });

    it('lists the kernel backends in worker --help', async () => {
      // The help wraps at the terminal's width: compare with the white space folded.
      expect((await runCli(['worker', '--help'])).stdout.replace(/\s+/g, ' ')).toMatch(
        /--kernel kernel backend: auto \| native \| native-avx2 \| native-portable \| wasm \| reference/,
      );
    });

    it('gradswarm eval --help and gradcheck --help exit 0', async () => {
      const ev = await runCli(['eval', '--help']);
      expect(ev.code).toBe(0);
      expect(ev.stdout).toMatch(/--model\b/);
      const gc = await runCli(['gradcheck', '--help']);
      expect(gc.code).toBe(0);
      expect(gc.stdout).toMatch(/--layers\b/);
    });
  });

  describe('train options', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['--epochs 0', ['--epochs', '0'], /--epochs must be a positive integer, got 0/],
      // Issue 16 item 6: what was typed is echoed, not "NaN" or "null".
      ['--epochs abc', ['--epochs', 'abc'], /--epochs must be a number, got "abc"/],
      ['--seed abc', ['--seed', 'abc'], /--seed must be a number, got "abc"/],
      ['--lr=fast', ['--lr=fast'], /--lr must be a number, got "fast"/],
      [
        '--batch-size with --minibatches',
        ['--batch-size', '10', '--minibatches', '3'],
        /--batch-size and --minibatches are exclusive/,
      ],
      ['a negative --lr', ['--lr', '-1'], /(--lr|learningRate) must be .*got -1/],
      ['--momentum 1', ['--momentum', '1'], /momentum must be in \[0, 1\), got 1/],
      [
        '--layers with a non-number',
        ['--layers', '784,abc'],
        /--layers must be a comma-separated list of positive integers, got "784,abc"/,
      ],
      // Issue 16 item 7: a list is read by one rule, and one that builds something else than it looks like is refused.
      [
        'hidden --layers that end with the class count',
        ['--layers', '8,3'],
        /--layers 8,3 does not start with the input size 3, so it is read as hidden sizes and would build 3-8-3-3 - help: write --layers 3,8,3 \(full sizes\) or --layers 8 \(hidden sizes only\)/,
      ],
      [
        'full --layers that do not end with the class count',
        ['--layers', '3,8'],
        /--layers 3,8 starts with the input size 3, so it is read as the full sizes, but it ends with 8 and the data has 3 classes - help: write --layers 3,8,3/,
      ],
      ['an unknown --hidden activation', ['--hidden', 'gelu'], /--hidden .*gelu/],
      [
        'a --loss that does not fit --output',
        ['--output', 'softmax', '--loss', 'bce'],
        /--loss bce does not go with output softmax/,
      ],
      ['--test-fraction outside (0, 1)', ['--test-fraction', '1.5'], /--test-fraction must be in \(0, 1\), got 1\.5/],
      ['an unknown --kernel', ['--kernel', 'nosuch'], /unknown kernel backend "nosuch"/],
      ['--threads 0', ['--threads', '0'], /--threads must be a positive integer, got 0/],
    ];
    for (const [what, flags, message] of cases) {
      it(`refuses ${what}`, async () => {
        expectUsageError(await runCli(tinyTrain(flags)), message);
      });
    }
  });

  describe('data sets', () => {
    it('refuses a --dataset spec it does not understand', async () => {
      expectUsageError(await runCli(['train', '--dataset', 'nonsense']), /data-set spec "nonsense" is not understood/);
    });

    it('refuses a CSV file that does not exist, naming it', async () => {
      const missing = join(dir, 'nonexistent.csv');
      expectUsageError(
        await runCli(['train', '--dataset', `csv:${missing}`]),
        /cannot read data file .*nonexistent\.csv/,
      );
    });

    // Issue 16 item 6: errno names and JSON.parse's quoted new lines never reach the user.
    it('says "is a directory" for a directory given as a data file', async () => {
      expectUsageError(await runCli(['train', '--dataset', `csv:${dir}`]), /cannot read data file .*: is a directory$/);
    });

    it('says "no such file or directory" for a missing --model', async () => {
      const result = await runCli(['eval', '--model', join(dir, 'missing.json'), '--dataset', `csv:${tinyCsv}`]);
      expectUsageError(result, /cannot read model .*missing\.json: no such file or directory$/);
      expect(result.stderr).not.toContain('ENOENT');
    });

    it('keeps a JSON syntax error of a model file on one line', async () => {
      const broken = join(dir, 'broken-model.json');
      await writeFile(broken, '{"format": "gradswarm-mlp",\n  "layers": [3,\n  x]}\n');
      expectUsageError(
        await runCli(['eval', '--model', broken, '--dataset', `csv:${tinyCsv}`]),
        /broken-model\.json: not valid JSON \(Unexpected token .*\\n.*\)$/,
      );
    });

    // Issue 17 item 6: one stray label used to size a 65536-class model and a 65536² confusion matrix (V8 out of memory).
    it('refuses a CSV label far above the others before anything is sized by it, naming the line', async () => {
      const stray = join(dir, 'stray-label.csv');
      const rows = Array.from({ length: 30 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 10}`);
      rows[17] = '1,2,65535';
      await writeFile(stray, `${rows.join('\n')}\n`);
      expectUsageError(
        await runCli(['train', '--dataset', `csv:${stray}`], { killAfterMs: 120_000 }),
        /stray-label\.csv: line 18: label 65535 is far above the others \(the highest of the 10 other labels is 9\) and would make 65536 classes - help: number the classes 0 to K-1/,
      );
    });

    it('refuses an IDX directory without an images/labels pair', async () => {
      const empty = join(dir, 'empty-idx');
      await mkdir(empty);
      expectUsageError(await runCli(['train', '--dataset', `idx:${empty}`]), /empty-idx holds no complete IDX pair/);
    });

    it('refuses a CSV row that is not a number, naming the line', async () => {
      const bad = join(dir, 'bad-row.csv');
      await writeFile(bad, '1,2,3,0\n2,3,4,1\n5,x,6,2\n');
      expectUsageError(await runCli(['train', '--dataset', `csv:${bad}`]), /bad-row\.csv: line 3\b/);
    });

    it('refuses a CSV row with too few columns, naming the line', async () => {
      const bad = join(dir, 'short-row.csv');
      await writeFile(bad, '1,2,3,0\n2,3,4,1\n5,6,2\n');
      expectUsageError(await runCli(['train', '--dataset', `csv:${bad}`]), /short-row\.csv: line 3\b/);
    });

    it('refuses an IDX images file with a bad magic number, naming the file', async () => {
      const images = join(dir, 'bad-magic-images-idx3-ubyte.gz');
      const labels = join(dir, 'good-labels-idx1-ubyte.gz');
      await writeFile(images, gzipSync(idx([0x12, 0x34, 0x08, 0x03], [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])));
      await writeFile(labels, gzipSync(idx([0x00, 0x00, 0x08, 0x01], [2], [0, 1])));
      expectUsageError(
        await runCli(['train', '--dataset', `idx:${images},${labels}`]),
        /bad-magic-images-idx3-ubyte\.gz.*magic/,
      );
    });
  });
});
