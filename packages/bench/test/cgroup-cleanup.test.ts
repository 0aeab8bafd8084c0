/**
 * `bench scale --cpu-per-worker` as a user runs it (the built CLI): its cgroups are gone after
 * an interrupt and after a failed run. Root only (cgroups); skipped with a warning otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertCanLimitCpu } from '../src/cgroup.js';

const CLI_BIN = fileURLToPath(new URL('../../cli/bin/gradswarm.js', import.meta.url));

function canRun(): boolean {
  try {
    assertCanLimitCpu();
  } catch (err) {
    console.warn(`skipping the bench cgroup clean-up test: ${(err as Error).message}`);
    return false;
  }
  if (!existsSync(CLI_BIN)) {
    console.warn('skipping the bench cgroup clean-up test: the CLI is not built (npm run build)');
    return false;
  }
  return true;
}

/**
 * Runs the bench; with `interruptAfterMs`, SIGINTs it that long after it has made its cgroups
 * (the coordinator and the worker are then started and placed; the run itself takes minutes).
 */
function bench(args: readonly string[], interruptAfterMs?: number) {
  const child = spawn(process.execPath, [CLI_BIN, 'bench', 'scale', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let cgroup: string | undefined;
  let slotsAtInterrupt: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    if (cgroup !== undefined) return;
    cgroup = /cores per process \(cgroup v\d \S+ under (\S+)\)/.exec(stderr)?.[1];
    if (cgroup !== undefined && interruptAfterMs !== undefined)
      setTimeout(() => {
        if (child.exitCode !== null) return;
        slotsAtInterrupt = existsSync(cgroup!)
          ? readdirSync(cgroup!).filter((n) => n === 'coordinator' || n.startsWith('worker'))
          : [];
        child.kill('SIGINT');
      }, interruptAfterMs);
  });
  return new Promise<{ code: number | null; stderr: string; cgroup?: string; slotsAtInterrupt: string[] }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr, cgroup, slotsAtInterrupt })),
  );
}

const SMALL = ['--workers', '1', '--layers', '16', '--batch-size', '100', '--warmup', '1', '--cpu-per-worker', '0.5'];

describe.skipIf(!canRun())('bench scale --cpu-per-worker removes its cgroups (root)', () => {
  it('on SIGINT in the middle of a run (exit 130)', async () => {
    const run = await bench([...SMALL, '--steps', '100000', '--no-single-node'], 5000);
    expect(run.cgroup, run.stderr).toBeDefined();
    expect(run.code, run.stderr).toBe(130);
    // The coordinator and the worker had their cgroups when the interrupt came.
    expect(run.slotsAtInterrupt.sort()).toEqual(['coordinator', 'worker1']);
    expect(existsSync(run.cgroup!)).toBe(false);
  }, 120_000);

  it('when a child fails (a bad --dataset), with one error line', async () => {
    const run = await bench([...SMALL, '--steps', '2', '--dataset', 'no-such-dataset-here', '--no-single-node']);
    expect(run.cgroup, run.stderr).toBeDefined();
    expect(run.code).not.toBe(0);
    expect(run.stderr.match(/^gradswarm: error: .*dataset.*$/gm), run.stderr).toHaveLength(1);
    expect(existsSync(run.cgroup!)).toBe(false);
    // Nothing of ours is left under the hierarchy's root either.
    const parent = run.cgroup!.slice(0, run.cgroup!.lastIndexOf('/'));
    expect(readdirSync(parent).filter((n) => n === run.cgroup!.slice(parent.length + 1))).toEqual([]);
  }, 120_000);
});
