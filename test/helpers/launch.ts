/**
 * Plumbing for the `gradswarm launch` tests: an environment with no launcher variables of the
 * test's own machine in it, a free port on 127.0.0.1, and a rank started as a child process.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI_BIN, REPO_ROOT } from './cli.js';

/** Variables launch reads (and Slurm sets): the parent's must not leak into a test's ranks. */
const LAUNCHER_VARIABLE =
  /^(RANK|LOCAL_RANK|WORLD_SIZE|MASTER_ADDR|MASTER_PORT|JOB_COMPLETION_INDEX|GRADSWARM_.*|SLURM_.*)$/;

/** The test process's environment without launcher variables, plus `extra`. */
export function launchEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!LAUNCHER_VARIABLE.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** A port that was free a moment ago (the ranks must all be told it before rank 0 binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command ...args` (default: the built CLI under node) with `env`; killed after `killAfterMs`. */
export function runWithEnv(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  { command = process.execPath, prefix = [CLI_BIN], killAfterMs = 120_000 } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}
