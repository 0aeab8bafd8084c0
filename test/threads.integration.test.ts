/**
 * The local thread pool seen from the command line (issue: data-parallel training across the
 * cores of one machine): reproducible mode gives byte-identical model files for any thread
 * count, default mode repeats itself for a fixed thread count, and the per-step postMessage
 * traffic stays tiny.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, lastJsonLine, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';

const base = [
  'train',
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '20',
  '--epochs',
  '2',
  '--batch-size',
  '100',
  '--no-progress',
  '--json',
];

describe('gradswarm train --threads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => removeTempDir(dir));

  it.skipIf(NO_DIGITS)('writes byte-identical model files in reproducible mode for 1, 2, 3 and 7 threads', async () => {
    const files: Buffer[] = [];
    for (const threads of [1, 2, 3, 7]) {
      const out = join(dir, `rep-${threads}.json`);
      const r = await runCli([...base, '--threads', String(threads), '--reproducible', '6', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const summary = lastJsonLine<{ threads: number; reproducible: number }>(r.stdout);
      expect(summary.threads).toBe(threads);
      expect(summary.reproducible).toBe(6);
      files.push(await readFile(out));
    }
    for (const f of files.slice(1)) expect(f.equals(files[0])).toBe(true);
  });

  it.skipIf(NO_DIGITS)('repeats a default-mode run bit for bit with the same seed and thread count', async () => {
    const a = join(dir, 'def-a.json');
    const b = join(dir, 'def-b.json');
    expect((await runCli([...base, '--threads', '2', '--out', a])).code).toBe(0);
    expect((await runCli([...base, '--threads', '2', '--out', b])).code).toBe(0);
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });

  it.skipIf(NO_DIGITS)(
    'writes the same model file with --pool-update (update shared, buffers in place) as without: default mode, 2 and 3 threads, and reproducible mode against 1 thread',
    async () => {
      const file = async (name: string, args: string[]): Promise<Buffer> => {
        const out = join(dir, `pool-${name}.json`);
        const r = await runCli([...base, '--l1', '0.001', ...args, '--out', out]);
        expect(r.code, r.stderr).toBe(0);
        return readFile(out);
      };
      for (const threads of ['2', '3']) {
        const alone = await file(`alone-${threads}`, ['--threads', threads]);
        expect((await file(`shared-${threads}`, ['--threads', threads, '--pool-update'])).equals(alone)).toBe(true);
        expect((await file(`off-${threads}`, ['--threads', threads, '--no-pool-update'])).equals(alone)).toBe(true);
      }
      const reproducible = ['--reproducible', '4', '--optimizer', 'adam'];
      const one = await file('rep-1', ['--threads', '1', ...reproducible]);
      expect((await file('rep-2', ['--threads', '2', ...reproducible, '--pool-update'])).equals(one)).toBe(true);
      expect((await file('rep-3', ['--threads', '3', ...reproducible])).equals(one)).toBe(true);
    },
  );

  it.skipIf(NO_DIGITS)('agrees across thread counts in default mode to 1e-5 relative on the final cost', async () => {
    const costs: number[] = [];
    for (const threads of [1, 3]) {
      const r = await runCli([...base, '--threads', String(threads)]);
      expect(r.code, r.stderr).toBe(0);
      costs.push(lastJsonLine<{ finalCost: number }>(r.stdout).finalCost);
    }
    expect(Math.abs(costs[0] - costs[1]) / costs[0]).toBeLessThan(1e-5);
  });

  it.skipIf(NO_DIGITS)('passes well under a kilobyte per step through postMessage', async () => {
    const r = await runCli([...base, '--threads', '2']);
    const { postMessageBytesPerStep } = lastJsonLine<{ postMessageBytesPerStep: number }>(r.stdout);
    expect(postMessageBytesPerStep).toBeGreaterThan(0);
    expect(postMessageBytesPerStep).toBeLessThan(512);
  });

  it('refuses --threads 0 and --reproducible 0 with a one-line error', async () => {
    for (const flag of ['--threads', '--reproducible']) {
      const r = await runCli(['train', flag, '0', '--epochs', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^gradswarm: error: ${flag} must be a positive integer, got 0`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
