/**
 * One benchmark run of a real coordinator child process (`--local-threads 0`, equal shards, a
 * metrics file): start it, learn its URL, let the caller attach W workers (processes or synthetic
 * clients), wait for it to finish its steps, and read back the per-step records, the training-set
 * size, the model and the kernel backend it reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradswarmError } from '@gradswarm/core';
import { generateToken } from '@gradswarm/protocol';
import { BenchError } from './errors.js';
import { modelFromLog, trainCountFromLog, type MetricsFile, type StepTiming } from './measure.js';
import { childFailure, tail, type ProcessGroup, type RunningProcess } from './processes.js';

/** What every run of one benchmark shares. */
export interface RunSettings {
  readonly layers: string;
  readonly batchSize: number;
  readonly dataset: string;
  readonly warmup: number;
  readonly steps: number;
  /** Directory for metrics files and the workers' data cache. */
  readonly workDir: string;
}

export interface CoordinatorRunOptions {
  readonly settings: RunSettings;
  /** Override of settings.layers (synthetic runs use their own model sizes). */
  readonly layers?: string;
  readonly minWorkers: number;
  /** Address to listen on [127.0.0.1]. */
  readonly host?: string;
  /** Namespace to run in (--netem). */
  readonly netns?: string;
  /** A name for files and messages, e.g. "w2-r1". */
  readonly tag: string;
  /** More coordinator flags (e.g. --topology chain). */
  readonly extraArgs?: readonly string[];
  /** Called with the coordinator's pid at spawn (its CPU-limited cgroup). */
  readonly place?: (pid: number) => void;
}

export interface CoordinatorRunResult {
  readonly timing: readonly StepTiming[];
  readonly trainCount: number;
  readonly layers: number[];
  readonly parameters: number;
  /** Kernel backend of the coordinator's process (what a worker here would use too). */
  readonly backend: string;
  readonly stderr: string;
}

/** How long one run may take before the bench gives up on it. */
export const RUN_TIMEOUT_MS = 15 * 60_000;
const LISTEN_TIMEOUT_MS = 60_000;

/**
 * A started coordinator: `url` and `token` to join with; `finish()` waits for it to end and
 * reads its metrics.
 */
export interface CoordinatorRun {
  readonly url: string;
  readonly token: string;
  readonly backend: string;
  readonly process: RunningProcess;
  finish(watch: readonly RunningProcess[], clientsFailed?: Promise<Error>): Promise<CoordinatorRunResult>;
}

/** Starts the coordinator and resolves once it listens. */
export async function startCoordinatorRun(group: ProcessGroup, o: CoordinatorRunOptions): Promise<CoordinatorRun> {
  const s = o.settings;
  const token = generateToken();
  const metricsPath = join(s.workDir, `metrics-${o.tag}.json`);
  const args = [
    'coordinator',
    '--port',
    '0',
    '--host',
    o.host ?? '127.0.0.1',
    '--token',
    token,
    '--local-threads',
    '0',
    '--min-workers',
    String(o.minWorkers),
    '--balance',
    'equal',
    '--dataset',
    s.dataset,
    '--layers',
    o.layers ?? s.layers,
    '--batch-size',
    String(s.batchSize),
    // Enough epochs that --steps ends the run; no evaluation between epochs.
    '--steps',
    String(s.warmup + s.steps),
    '--epochs',
    '1000000',
    '--eval-every',
    '0',
    '--step-timeout',
    '120000',
    '--metrics',
    metricsPath,
    '--json',
    '--no-progress',
    ...(o.extraArgs ?? []),
  ];
  const c = group.startCli(`${o.tag}-coordinator`, args, { netns: o.netns, place: o.place });
  const [, url] = await c.waitFor(/coordinator listening on (wss?:\/\/\S+)/, LISTEN_TIMEOUT_MS);
  const [, backend] = await c.waitFor(/kernel backend: ([^;\s]+)/, LISTEN_TIMEOUT_MS);
  return {
    url,
    token,
    backend,
    process: c,
    finish: async (watch, clientsFailed) => {
      await waitForCoordinator(c, watch, clientsFailed);
      const stderr = c.stderr();
      let metrics: MetricsFile;
      try {
        metrics = JSON.parse(readFileSync(metricsPath, 'utf8')) as MetricsFile;
      } catch (err) {
        throw new BenchError(`cannot read the coordinator's metrics ${metricsPath}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const { layers, parameters } = modelFromLog(stderr);
      return {
        timing: metrics.minibatchTiming,
        trainCount: trainCountFromLog(stderr),
        layers,
        parameters,
        backend,
        stderr,
      };
    },
  };
}

/**
 * Resolves when the coordinator exits 0; rejects if it fails, if a watched worker fails first,
 * if the clients fail, or after RUN_TIMEOUT_MS.
 */
async function waitForCoordinator(
  c: RunningProcess,
  watch: readonly RunningProcess[],
  clientsFailed?: Promise<Error>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<Error>((resolve) => {
    timer = setTimeout(
      () => resolve(new Error(`${c.name} did not finish within ${RUN_TIMEOUT_MS / 60_000} min${tail(c.stderr())}`)),
      RUN_TIMEOUT_MS,
    );
    for (const w of watch) {
      void w.exited.then((status) => {
        // A worker exits 0 once told the run is finished (before the coordinator has written
        // its metrics); any other end while the coordinator runs is a failure.
        if (status.code !== 0 && c.exitStatus() === null)
          resolve(childFailure(w.name, status, w.stderr(), ' before the run finished'));
      });
    }
    void clientsFailed?.then(resolve);
  });
  try {
    const outcome = await Promise.race([c.exited, failure]);
    if (outcome instanceof GradswarmError) throw outcome;
    if (outcome instanceof Error) throw new BenchError(outcome.message);
    if (outcome.code !== 0) throw childFailure(c.name, outcome, c.stderr());
  } finally {
    clearTimeout(timer);
  }
}
