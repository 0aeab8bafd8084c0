/**
 * Shared plumbing for the integration tests: run the built `gradswarm` CLI as a child process,
 * locate the shared data sets (../shared/data beside the checkout), make and remove temp dirs,
 * and write small synthetic CSV data sets whose contents the tests know exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The monorepo root (this file is test/helpers/cli.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI entry point, as `npm exec gradswarm` runs it. */
export const CLI_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'gradswarm.js');
const CLI_DIST = join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js');

/** The shared data sets; CI has shared/ beside the checkout, a bare clone may not. */
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');
export const DIGITS_FILE = join(SHARED_DATA, 'digits', 'digits.csv.gz');
export const MNIST_T10K_DIR = join(SHARED_DATA, 'mnist');
/** `--dataset` spec of the UCI digits (1 797 samples, 64 features, 10 classes). */
export const DIGITS_SPEC = `digits:${DIGITS_FILE}`;

export const NO_DIGITS = !existsSync(DIGITS_FILE);
export const NO_MNIST_T10K = !existsSync(join(MNIST_T10K_DIR, 't10k-images-idx3-ubyte.gz'));
/** Why a test is skipped when it needs shared data (vitest prints the test name; this goes to the log). */
export const SHARED_DATA_MISSING = `shared data not found at ${SHARED_DATA} (CI provides ../shared/data beside the checkout)`;
if (NO_DIGITS || NO_MNIST_T10K) console.warn(`skipping some integration tests: ${SHARED_DATA_MISSING}`);

if (!existsSync(CLI_DIST)) {
  throw new Error(`${CLI_DIST} is missing - build first: npx tsc -b`);
}

export interface CliResult {
  /** Exit code, or null if the process died of a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Called with each stderr chunk (the accumulated stderr so far) and the child, e.g. to send a signal. */
  readonly onStderr?: (stderrSoFar: string, child: ChildProcess) => void;
  /** Working directory of the child [the repo root]. */
  readonly cwd?: string;
  /** Kill the child (SIGKILL) if it is still running after this long: a hang fails the test instead of stalling it. */
  readonly killAfterMs?: number;
}

/** Runs `node packages/cli/bin/gradswarm.js ...args` from the repo root and collects its output. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer =
      options.killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killer) clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last non-empty line of stdout parsed as JSON (the --json summary). */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines.length, 'stdout has no lines').toBeGreaterThan(0);
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * Asserts the CLI's refusal contract: exit 2, exactly one stderr line starting
 * `gradswarm: error:` that matches `message`, and no stack trace.
 */
export function expectUsageError(result: CliResult, message: RegExp): void {
  const context = `stderr was:\n${result.stderr}\nstdout was:\n${result.stdout}`;
  expect(result.code, context).toBe(2);
  expect(result.stderr, context).not.toContain('    at ');
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines, context).toHaveLength(1);
  expect(lines[0]).toMatch(/^gradswarm: error: /);
  expect(lines[0]).toMatch(message);
}

/** A fresh directory under the OS temp dir; remove it with removeTempDir. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gradswarm-it-'));
}

export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** mulberry32: a tiny seeded generator so the synthetic data is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BlobsOptions {
  /** Number of rows. */
  readonly rows: number;
  /** Seed of the noise [1]. */
  readonly seed?: number;
  /** Number of classes, also the number of features [3]. */
  readonly classes?: number;
  /** Write label (c + labelShift) mod classes instead of c: a set the model cannot predict [0]. */
  readonly labelShift?: number;
  /** Write offset + scale * x for every feature x: data that needs --scale to train well [0, 1]. */
  readonly offset?: number;
  readonly scale?: number;
}

/**
 * Writes a headerless CSV of well-separated blobs: `classes` features, class c centred at
 * 3 on feature c and 0 elsewhere, uniform noise in [-1, 1], label in the last column,
 * classes in turn (row i has class i mod classes).
 */
export async function writeBlobsCsv(path: string, options: BlobsOptions): Promise<void> {
  const classes = options.classes ?? 3;
  const next = rng(options.seed ?? 1);
  const lines: string[] = [];
  for (let i = 0; i < options.rows; i++) {
    const c = i % classes;
    const x = (f: number): number => (f === c ? 3 : 0) + (next() * 2 - 1);
    const features = Array.from({ length: classes }, (_, f) =>
      ((options.offset ?? 0) + (options.scale ?? 1) * x(f)).toFixed(4),
    );
    lines.push([...features, (c + (options.labelShift ?? 0)) % classes].join(','));
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

/**
 * Flags that pin the model and optimiser for the blobs data, so a change of the CLI defaults does
 * not move these tests. `overrides` replaces values (a repeated flag would become an array in yargs).
 */
export function blobsFlags(overrides: Record<string, string> = {}): string[] {
  const flags: Record<string, string> = {
    layers: '8',
    hidden: 'tanh',
    output: 'softmax',
    init: 'glorot',
    lr: '0.1',
    momentum: '0.9',
    l2: '0.0001',
    scale: 'none',
    ...overrides,
  };
  return Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]);
}

/**
 * The model file single-node `train --threads 1` writes with `flags` to `out`, as bytes: the
 * reference a distributed run's model must equal byte for byte.
 */
export async function trainedModel(flags: readonly string[], out: string): Promise<Buffer> {
  const t = await runCli(['train', ...flags, '--threads', '1', '--out', out, '--no-progress']);
  expect(t.code, t.stderr).toBe(0);
  return readFile(out);
}
