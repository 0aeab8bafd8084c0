/**
 * The body of `GET /status`: one JSON document about the run and its workers, for people and
 * scripts watching a run (and later a dashboard). Its shape is this file's `StatusDocument`;
 * `format` and `version` name it, as the metrics file's do. A field is only ever added within a
 * version; a change of meaning or a removal bumps `version`.
 *
 * `workers` lists the workers taking part now and the most recent departed ones (at most
 * `maxDepartedWorkers`, see membership.ts), so the document stays small under churn;
 * `workersAdmitted` and `workersDeparted` count every one since the start.
 */
import type { WorkerAgent } from '@gradswarm/protocol';
import type { RemoteWorker, RemoteWorkerState } from './remote-worker.js';

export const STATUS_FORMAT = 'gradswarm-status';
export const STATUS_VERSION = 1;

/**
 * Where the run is: `starting` (before start()), `waiting` (for --min-workers), `training`,
 * `finished` (all epochs or --steps done) or `stopped` (SIGINT/SIGTERM or a failure).
 */
export type RunPhase = 'starting' | 'waiting' | 'training' | 'finished' | 'stopped';

/** One remote worker in `StatusDocument.workers`. */
export interface WorkerStatus {
  /** The id it was given when it authenticated (1, 2, …; a reconnect gets a new one). */
  readonly id: number;
  /** Its label (`--label`, by default its host name). */
  readonly name: string;
  /** READY takes shards; DROPPED and LEFT are departed. */
  readonly state: RemoteWorkerState;
  readonly threads: number;
  /** What runs it: node (`gradswarm worker`) or browser (a tab that opened /join). */
  readonly kind: WorkerAgent;
  /** Its kernel backend. */
  readonly backend: string;
  /** Moving average over its recent results, rounded. */
  readonly samplesPerSecond: number;
  /** Step requests it answered. */
  readonly stepsServed: number;
  /** ms since the last message from it. */
  readonly lastSeenMsAgo: number;
}

/** The body of `GET /status`. */
export interface StatusDocument {
  readonly format: typeof STATUS_FORMAT;
  readonly version: typeof STATUS_VERSION;
  readonly state: RunPhase;
  /** Steps done (the step in progress is step + 1). */
  readonly step: number;
  /** 1-based epoch of the last step done (1 before the first step). */
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based minibatch of the last step done within its epoch. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** Cost of the last minibatch; null before the first step. */
  readonly cost: number | null;
  /** Samples per second of training so far, rounded. */
  readonly samplesPerSecond: number;
  /** S of reproducible mode, or null. */
  readonly reproducible: number | null;
  /** The coordinator's own threads. */
  readonly localThreads: number;
  /** Workers taking part now, then the most recently departed ones, in join order. */
  readonly workers: readonly WorkerStatus[];
  /** Workers admitted since the start. */
  readonly workersAdmitted: number;
  /** Workers that left or were dropped since the start (workers keeps only the last few). */
  readonly workersDeparted: number;
  /** Connections open now that have not authenticated yet (see connection-limits.ts). */
  readonly unauthenticatedConnections: number;
}

/** The run's side of the document (what the trainer and the coordinator know). */
export interface RunStatus {
  readonly state: RunPhase;
  readonly step: number;
  /** 0-based, as the trainer counts. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based, as the trainer counts. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly cost: number;
  readonly samplesPerSecond: number;
  readonly reproducible: number | null;
  readonly localThreads: number;
}

/** Membership's side of the document. */
export interface MembershipStatus {
  readonly workers: readonly RemoteWorker[];
  readonly admitted: number;
  readonly departed: number;
}

/**
 * Builds the document.
 * @param nowMs the clock `lastSeenMsAgo` is measured against [Date.now()]
 */
export function buildStatusDocument(
  run: RunStatus,
  membership: MembershipStatus,
  unauthenticatedConnections: number,
  nowMs = Date.now(),
): StatusDocument {
  return {
    format: STATUS_FORMAT,
    version: STATUS_VERSION,
    state: run.state,
    step: run.step,
    epoch: run.epoch + 1,
    epochs: run.epochs,
    batch: run.batch + 1,
    batchesPerEpoch: run.batchesPerEpoch,
    cost: Number.isFinite(run.cost) ? run.cost : null,
    samplesPerSecond: Math.round(run.samplesPerSecond),
    reproducible: run.reproducible,
    localThreads: run.localThreads,
    workers: membership.workers.map((w) => ({
      id: w.id,
      name: w.name,
      state: w.state,
      threads: w.threads,
      kind: w.agent,
      backend: w.backend,
      samplesPerSecond: Math.round(w.samplesPerSecond),
      stepsServed: w.stepsServed,
      lastSeenMsAgo: nowMs - w.lastSeenMs,
    })),
    workersAdmitted: membership.admitted,
    workersDeparted: membership.departed,
    unauthenticatedConnections,
  };
}
