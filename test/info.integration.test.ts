/**
 * `gradswarm info`: the facts it prints, the GEMM autotune on first use cached in the user's
 * cache directory (XDG_CACHE_HOME), reused afterwards, skipped with --no-autotune, and
 * GRADSWARM_KERNEL_TUNING overriding both; the micro-kernel line (avx512 where the CPU has it,
 * avx2 when forced with micro=avx2).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, lastJsonLine, makeTempDir, REPO_ROOT, removeTempDir } from './helpers/cli.js';

interface Info {
  cpu: string;
  caches: { l1dBytes: number; l2Bytes: number };
  backend: string;
  microKernel: string | null;
  microKernels: string[];
  blocking: { mc: number; kc: number; nc: number; source: string } | null;
  autotune: string;
  threads: number;
}

function info(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, 'info', '--json', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GRADSWARM_KERNEL_TUNING: undefined, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm info', () => {
  it('prints the CPU, caches, backend, blocking and threads; autotunes once, then reuses the cached result', async () => {
    const env = { XDG_CACHE_HOME: dir };
    const cacheFile = join(dir, 'gradswarm', 'kernel-tuning.json');
    const skipped = await info(['--no-autotune'], env);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(
      /^cpu: .*\ncaches: .*\nbackend: .*\nmicro: .*\nblocking: .*\nautotune: .*\nthreads: +\d+ available\n/,
    );
    const s = lastJsonLine<Info>(skipped.stdout);
    expect(s.threads).toBeGreaterThanOrEqual(1);
    expect(existsSync(cacheFile)).toBe(false);
    if (!s.backend.startsWith('native-')) {
      expect(s.blocking).toBeNull();
      return;
    }
    expect(s.autotune).toBe('skipped (--no-autotune)');
    expect(['caches', 'default']).toContain(s.blocking!.source);

    const first = lastJsonLine<Info>((await info([], env)).stdout);
    expect(first.autotune).toMatch(/^measured now/);
    expect(first.blocking!.source).toBe('autotune');
    const stored = readFileSync(cacheFile, 'utf8');
    const second = lastJsonLine<Info>((await info([], env)).stdout);
    expect(second.autotune).toMatch(/^cached in /);
    expect(second.blocking).toEqual(first.blocking);
    expect(readFileSync(cacheFile, 'utf8')).toBe(stored);

    const forced = lastJsonLine<Info>((await info([], { ...env, GRADSWARM_KERNEL_TUNING: 'mc=48,kc=64' })).stdout);
    expect(forced.blocking).toEqual({ mc: 48, kc: 64, nc: 4080, source: 'env' });
    expect(forced.autotune).toBe('skipped (GRADSWARM_KERNEL_TUNING is set)');

    if (s.backend !== 'native-avx2') return;
    expect(s.microKernels).toContain('avx2');
    expect(s.microKernel).toBe(s.microKernels[0]);
    const avx2 = await info(['--no-autotune'], { ...env, GRADSWARM_KERNEL_TUNING: 'micro=avx2' });
    expect(lastJsonLine<Info>(avx2.stdout).microKernel).toBe('avx2');
    expect(avx2.stdout).toMatch(/\nmicro: +avx2 \(tiles of 4 to 6 rows/);
  });
});
