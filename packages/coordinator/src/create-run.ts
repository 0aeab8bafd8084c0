/**
 * The run builder: from loaded data, a model spec and options to a ready Coordinator with this
 * machine's pool — what `gradswarm train` and `gradswarm coordinator` compose, without the flags,
 * the files and the terminal (those stay in the CLI). A run's progress is its `events`.
 *
 *   const run = await createRun({ spec, data, training, threads, backend });
 *   run.events.on('step', (e) => ...);
 *   await run.start(); const result = await run.run(); await run.close('finished');
 */
import { evaluate, type KernelBackend, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource, type GradientSource } from '@gradswarm/worker';
import { LocalPool } from '@gradswarm/worker/node';
import type { Checkpoint } from './checkpoint.js';
import { DEFAULT_CONNECTION_LIMITS } from './connection-limits.js';
import type { CoordinatorListener } from './coordinator-listener.js';
import { Coordinator, type NetworkOptions } from './coordinator.js';
import type { RunEvents } from './run-events.js';
import type { TrainResult } from './trainer.js';
import type { TrainingOptions } from './training-options.js';

/** The network settings a run takes; everything but the port and the token has a default. */
export type RunNetworkOptions = Partial<NetworkOptions> & Pick<NetworkOptions, 'port' | 'token'>;

/** The defaults createRun fills in (the CLI's flags default to these too). */
export const DEFAULT_RUN_OPTIONS = {
  /** Epochs between evaluations (0: the last epoch only). */
  evaluateEvery: 0,
  network: {
    host: '127.0.0.1',
    stepTimeoutMs: 30_000,
    heartbeatIntervalMs: 5_000,
    ...DEFAULT_CONNECTION_LIMITS,
  },
} as const;

export interface RunOptions {
  readonly spec: ModelSpec;
  /** The loaded data: the training set and, if any, the held-out test set. */
  readonly data: {
    readonly train: LabeledSamples;
    readonly test?: LabeledSamples | null;
    /** Fingerprint of the training set (checkpoints and workers check it). */
    readonly fingerprint: string;
    /** Shown to workers and in /status. */
    readonly name: string;
  };
  readonly training: TrainingOptions;
  /** This machine's compute threads (0 only with a network). */
  readonly threads: number;
  readonly backend: KernelBackend;
  /**
   * A local run's pool threads share each step's reduction and update with this thread, one
   * slice of the parameters each (the same bits) [false]. It costs one more hand-off to the
   * threads and back per step, which a busy machine makes slow (README, bench-train).
   */
  readonly poolUpdate?: boolean;
  /** Serve remote workers; absent: a local run. */
  readonly network?: RunNetworkOptions;
  /** The network's socket, bound early with listen(); start() opens one when absent. */
  readonly listener?: CoordinatorListener;
  readonly checkpoint?: { readonly dir: string; readonly everySteps: number };
  readonly resume?: Checkpoint;
  /** Epochs between evaluations [0: the last epoch only]; the result travels with the `epoch` event. */
  readonly evaluateEvery?: number;
  readonly log: (line: string) => void;
}

/** RunOptions with the defaults filled in. */
export interface ResolvedRunOptions extends RunOptions {
  readonly network?: NetworkOptions;
  readonly evaluateEvery: number;
}

/** Fills in DEFAULT_RUN_OPTIONS (the network's only when there is a network). */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  return {
    ...options,
    evaluateEvery: options.evaluateEvery ?? DEFAULT_RUN_OPTIONS.evaluateEvery,
    network: options.network ? { ...DEFAULT_RUN_OPTIONS.network, ...options.network } : undefined,
  };
}

/** A built run: start it, wait for workers (with a network), run it, close it. */
export interface Run {
  readonly options: ResolvedRunOptions;
  readonly coordinator: Coordinator;
  /** step, epoch, joined, left, dropped, reassigned (run-events.ts). */
  readonly events: RunEvents;
  /** This machine's worker-thread pool (null when every local shard is computed in this thread). */
  readonly pool: LocalPool | null;
  /** Starts the server (with a network); resolves with the URL workers join at, or null. */
  start(): Promise<string | null>;
  /** Resolves once `count` remote workers are ready (stop() rejects it). */
  waitForWorkers(count: number): Promise<void>;
  /** Trains to the end or until stop(). */
  run(): Promise<TrainResult>;
  /** Ends the run after the current step. */
  stop(): void;
  /** Tells the workers why the run ends, stops listening and closes the pool. */
  close(reason: 'finished' | string): Promise<void>;
}

/**
 * Builds the pool, the in-process source and the Coordinator.
 * @throws TypeError / RangeError for bad options (the pool and listener are closed first)
 */
export async function createRun(options: RunOptions): Promise<Run> {
  const o = resolveRunOptions(options);
  const { spec, backend } = o;
  const train = o.data.train;
  const test = o.data.test ?? null;
  // Without a network this thread computes a shard itself instead of waiting for the pool:
  // threads - 1 pool lanes plus one in-process source. It is listed last, so the lanes have
  // their tasks before it blocks this thread, and it saves a thread hop per step (post, wake,
  // reply), which is much of a small network's step. The gradient is the same code with the
  // same blocking, so the bits are the same. A coordinator keeps its event loop free for the
  // network and runs every local thread in the pool.
  const computeHere = !o.network && o.threads > 0;
  const poolThreads = computeHere ? o.threads - 1 : o.threads;
  const pool =
    poolThreads > 0
      ? new LocalPool({
          spec,
          data: train,
          backend: backend.name,
          threads: poolThreads,
          // This thread has nothing else to do while the threads compute: it may take back a job.
          ...(computeHere ? { takeBackWith: backend } : {}),
        })
      : null;
  const local: GradientSource[] = [
    ...(pool?.lanes ?? []),
    ...(computeHere ? [new InProcessSource({ spec, data: train, backend })] : []),
  ];
  let coordinator: Coordinator;
  try {
    coordinator = new Coordinator({
      spec,
      data: train,
      dataFingerprint: o.data.fingerprint,
      dataName: o.data.name,
      training: o.training,
      local,
      backend: backend.name,
      updateBackend: backend,
      // A local run's pool threads share each step's update with this thread (same bits); a
      // coordinator's weights also go to remote workers, so its buffers stay its own.
      updateHelpers: computeHere && o.poolUpdate ? (pool?.helpers ?? null) : null,
      network: o.network,
      listener: o.listener,
      checkpoint: o.checkpoint,
      resume: o.resume,
      log: o.log,
      evaluateEpoch: (epoch, params) => {
        const epochs = coordinator.trainer.options.epochs;
        const due = epoch === epochs - 1 || (o.evaluateEvery > 0 && (epoch + 1) % o.evaluateEvery === 0);
        if (!due) return null;
        const cost = coordinator.trainer.options.cost;
        const ev = {
          train: evaluate(backend, spec, params, train, cost),
          test: test ? evaluate(backend, spec, params, test, cost) : null,
        };
        return { trainAccuracy: ev.train.accuracy, testAccuracy: ev.test?.accuracy, testCost: ev.test?.cost };
      },
    });
  } catch (err) {
    await pool?.close();
    await o.listener?.close();
    throw err;
  }
  const c = coordinator;
  return {
    options: o,
    coordinator: c,
    events: c.events,
    pool,
    start: () => c.start(),
    waitForWorkers: (count) => c.waitForWorkers(count),
    run: () => c.run(),
    stop: () => c.stop(),
    close: async (reason) => {
      try {
        await c.close(reason);
      } finally {
        await pool?.close();
      }
    },
  };
}
