/**
 * The native GEMM's cache blocking and micro-kernel never move a bit (issue 15, item 5): a
 * reproducible run trained under two different `GRADSWARM_KERNEL_TUNING` blockings (as two
 * machines with different caches would pick), or with the AVX2 micro-kernel forced where the
 * default is AVX-512's (as a machine without AVX-512 runs), writes byte-identical model files,
 * and a bad tuning is refused in one line.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, DIGITS_SPEC, makeTempDir, NO_DIGITS, REPO_ROOT, removeTempDir } from './helpers/cli.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with extra environment variables. */
function runWithEnv(args: readonly string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// 64-200-10 with batches of 100: every product has k ≥ 64, so kc=16 cuts each into 4+ panels.
const FLAGS = [
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '200',
  '--hidden',
  'tanh',
  '--output',
  'softmax',
  '--init',
  'glorot',
  '--lr',
  '0.1',
  '--batch-size',
  '100',
  '--epochs',
  '2',
  '--kernel',
  'native',
  '--reproducible',
  '4',
  '--threads',
  '2',
];

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('GRADSWARM_KERNEL_TUNING', () => {
  it.skipIf(NO_DIGITS)(
    'gives byte-identical reproducible models under the compiled-in and a very different blocking',
    async () => {
      const train = async (name: string, tuning: string): Promise<string> => {
        const out = join(dir, name);
        const r = await runWithEnv(['train', ...FLAGS, '--out', out], { GRADSWARM_KERNEL_TUNING: tuning });
        expect(r.code, r.stderr).toBe(0);
        return readFile(out, 'utf8');
      };
      const usual = await train('default.json', 'default');
      const small = await train('small-blocks.json', 'mc=24,kc=16,nc=256');
      expect(small).toBe(usual);
      // The fallback of a CPU without AVX-512 (here the same as the default where it has none).
      const avx2 = await train('micro-avx2.json', 'micro=avx2');
      expect(avx2).toBe(usual);
      const wide = await train('micro-auto-small.json', 'mc=28,kc=16,nc=256,micro=auto');
      expect(wide).toBe(usual);
    },
  );

  it('refuses a tuning it does not understand, naming it, with a help hint', async () => {
    const r = await runWithEnv(['train', ...FLAGS, '--out', join(dir, 'never.json')], {
      GRADSWARM_KERNEL_TUNING: 'kc=big',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/GRADSWARM_KERNEL_TUNING="kc=big" is not understood at "kc=big" - help: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
