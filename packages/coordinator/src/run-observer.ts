/**
 * What the live dashboard shows, kept up to date from the run's events (run-events.ts): the cost
 * of every step, the epochs with their accuracies, where recent steps' time went, one row per
 * worker (this machine's threads and the remote machines) and the membership log. `snapshot()`
 * is plain JSON data (DashboardSnapshot); the report package draws it (dashboard.ts there).
 *
 * A worker's compute and wait times are means over its last STRAGGLER_WINDOW results; "wait" is
 * the part of a result's wall time that was not compute (the link, queues, the worker's own
 * hand-offs). A straggler is a worker whose mean compute is above STRAGGLER_FACTOR times the
 * median of the workers taking part (flagStragglers), once each has STRAGGLER_MIN_RESULTS results.
 */
import type { GradientSource } from '@gradswarm/worker';
import type { WorkerAgent } from '@gradswarm/protocol';
import type { Coordinator } from './coordinator.js';
import { RemoteWorker, type RemoteWorkerState } from './remote-worker.js';
import type { RunEvents, Unsubscribe } from './run-events.js';
import type { StatusDocument } from './status-document.js';

export const DASHBOARD_FORMAT = 'gradswarm-dashboard';
/** Results per worker that its means are taken over. */
export const STRAGGLER_WINDOW = 20;
/** How far above the median a worker's mean compute time must be to be flagged. */
export const STRAGGLER_FACTOR = 1.5;
/** Results a worker needs before it can be flagged (one slow first step is warm-up). */
export const STRAGGLER_MIN_RESULTS = 3;
/** Recent steps whose time breakdown is kept. */
export const PHASE_HISTORY_STEPS = 300;
/** Membership log entries kept, the most recent ones. */
export const MEMBERSHIP_LOG_ENTRIES = 100;

/** One worker of the dashboard's table. */
export interface WorkerRow {
  readonly label: string;
  /** thread: this machine's pool; node: a `gradswarm worker` process; browser: a tab (/join). */
  readonly kind: 'thread' | WorkerAgent;
  readonly threads: number;
  readonly backend: string;
  readonly samplesPerSecond: number;
  /** Means over its last STRAGGLER_WINDOW results (0 before the first). */
  readonly computeMs: number;
  readonly waitMs: number;
  /** Weights and gradient payload per step served (0 for threads: shared memory). */
  readonly bytesPerStep: number;
  /** ms since it was last heard from (threads: since their last result). */
  readonly lastSeenMsAgo: number;
  readonly state: RemoteWorkerState;
  readonly straggler: boolean;
}

/** Where one step's time went: slowest source's compute and wait, the update, the whole step. */
export interface StepPhases {
  readonly step: number;
  readonly computeMs: number;
  readonly waitMs: number;
  readonly reduceUpdateMs: number;
  readonly totalMs: number;
  readonly samplesPerSecond: number;
}

export interface MembershipEntry {
  /** ms since the Unix epoch. */
  readonly atMs: number;
  readonly kind: 'joined' | 'left' | 'dropped' | 'reassigned';
  readonly text: string;
}

export interface EpochPoint {
  readonly epoch: number;
  readonly cost: number;
  readonly trainAccuracy: number | null;
  readonly testAccuracy: number | null;
}

/** Everything the dashboard draws, as JSON. */
export interface DashboardSnapshot {
  readonly format: typeof DASHBOARD_FORMAT;
  readonly status: StatusDocument;
  readonly totalSteps: number;
  /** Estimated ms to the end at the recent pace; null before it can be told. */
  readonly etaMs: number | null;
  /** Cost of every step of this process, in order (first is step `firstStep`). */
  readonly costs: readonly number[];
  readonly firstStep: number;
  readonly epochs: readonly EpochPoint[];
  readonly phases: readonly StepPhases[];
  readonly workers: readonly WorkerRow[];
  readonly membership: readonly MembershipEntry[];
}

/**
 * Flags the values above `factor` times their median (at least two values; none otherwise).
 * @param means each worker's mean compute ms
 */
export function flagStragglers(means: readonly number[], factor = STRAGGLER_FACTOR): boolean[] {
  if (means.length < 2) return means.map(() => false);
  const sorted = [...means].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return means.map((m) => median > 0 && m > factor * median);
}

interface SourceStats {
  readonly source: GradientSource;
  compute: number[];
  wait: number[];
  samples: number;
  ms: number;
  lastMs: number;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export class RunObserver {
  private readonly sources = new Map<GradientSource, SourceStats>();
  private readonly costs: number[] = [];
  private firstStep = -1;
  private readonly epochs: EpochPoint[] = [];
  private readonly phases: StepPhases[] = [];
  private readonly log: MembershipEntry[] = [];
  /** Wall and compute ms of the slowest result of the step in flight. */
  private slowest = { wallMs: 0, computeMs: 0 };
  private readonly off: Unsubscribe[];

  /** Follows `coordinator.events` from now on. */
  constructor(private readonly coordinator: Coordinator) {
    this.off = this.subscribe(coordinator.events);
  }

  /** Stops following the events. */
  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  private subscribe(events: RunEvents): Unsubscribe[] {
    return [
      events.on('stepStart', () => {
        this.slowest = { wallMs: 0, computeMs: 0 };
      }),
      events.on('measured', (e) => {
        let s = this.sources.get(e.source);
        if (!s) {
          s = { source: e.source, compute: [], wait: [], samples: 0, ms: 0, lastMs: 0 };
          this.sources.set(e.source, s);
        }
        s.compute = [...s.compute, e.computeMs].slice(-STRAGGLER_WINDOW);
        s.wait = [...s.wait, Math.max(0, e.wallMs - e.computeMs)].slice(-STRAGGLER_WINDOW);
        s.samples += e.samples;
        s.ms += e.computeMs;
        s.lastMs = Date.now();
        if (e.wallMs > this.slowest.wallMs) this.slowest = { wallMs: e.wallMs, computeMs: e.computeMs };
      }),
      events.on('step', (e) => {
        if (this.firstStep < 0) this.firstStep = e.step;
        this.costs.push(e.cost);
        this.phases.push({
          step: e.step,
          computeMs: this.slowest.computeMs,
          waitMs: Math.max(0, this.slowest.wallMs - this.slowest.computeMs),
          reduceUpdateMs: e.timing.reduceUpdateMs,
          totalMs: e.timing.totalMs,
          samplesPerSecond: e.samples / Math.max(e.timing.totalMs / 1000, 1e-9),
        });
        if (this.phases.length > PHASE_HISTORY_STEPS) this.phases.shift();
      }),
      events.on('epoch', (e) => {
        this.epochs.push({
          epoch: e.epoch,
          cost: e.cost,
          trainAccuracy: e.evaluation?.trainAccuracy ?? null,
          testAccuracy: e.evaluation?.testAccuracy ?? null,
        });
      }),
      events.on('joined', (e) =>
        this.note(
          'joined',
          `worker ${e.id} (${e.name}, ${e.threads} thread${e.threads === 1 ? '' : 's'}, ${e.backend}) joined${e.fromStep === undefined ? '' : `; takes shards from step ${e.fromStep + 1}`}`,
        ),
      ),
      events.on('left', (e) => this.note('left', `worker ${e.id} (${e.name}) left: ${e.reason}`)),
      events.on('dropped', (e) => this.note('dropped', `worker ${e.id} (${e.name}) dropped: ${e.reason}`)),
      events.on('reassigned', (e) =>
        this.note(
          'reassigned',
          `${e.shards.length} shard(s) of ${e.source.label} recomputed by ${e.to.map((t) => t.label).join(', ')}`,
        ),
      ),
    ];
  }

  private note(kind: MembershipEntry['kind'], text: string): void {
    this.log.push({ atMs: Date.now(), kind, text });
    if (this.log.length > MEMBERSHIP_LOG_ENTRIES) this.log.shift();
  }

  /** The worker rows: this machine's threads, then remote workers in id order (departed ones too). */
  workers(nowMs = Date.now()): WorkerRow[] {
    const remote = this.coordinator.membership.all();
    const local = [...this.sources.values()].filter((s) => !(s.source instanceof RemoteWorker));
    const stats = [...local, ...remote.map((w) => this.sources.get(w))];
    const taking = stats.map(
      (s, i) =>
        s !== undefined &&
        s.compute.length >= STRAGGLER_MIN_RESULTS &&
        (i < local.length || remote[i - local.length].state === 'READY'),
    );
    const flags = flagStragglers(stats.filter((_, i) => taking[i]).map((s) => mean(s!.compute)));
    let f = 0;
    return stats.map((s, i) => {
      const straggler = taking[i] ? flags[f++] : false;
      const common = {
        samplesPerSecond: 0,
        computeMs: s ? mean(s.compute) : 0,
        waitMs: s ? mean(s.wait) : 0,
        straggler,
      };
      if (i < local.length) {
        const l = s!;
        return {
          ...common,
          label: l.source.label,
          kind: 'thread' as const,
          threads: l.source.threads,
          backend: this.coordinator.backend,
          samplesPerSecond: l.samples / Math.max(l.ms / 1000, 1e-9),
          bytesPerStep: 0,
          lastSeenMsAgo: nowMs - l.lastMs,
          state: 'READY' as const,
        };
      }
      const w = remote[i - local.length];
      return {
        ...common,
        label: `${w.label} (${w.name})`,
        kind: w.agent,
        threads: w.threads,
        backend: w.backend,
        samplesPerSecond: w.samplesPerSecond,
        // Its coordinator link and, on the chain, its peer links (as it reports them).
        bytesPerStep:
          w.stepsServed > 0
            ? (w.payload.sentBytes + w.payload.receivedBytes + w.peerTraffic.sentBytes + w.peerTraffic.receivedBytes) /
              w.stepsServed
            : 0,
        lastSeenMsAgo: nowMs - w.lastSeenMs,
        state: w.state,
      };
    });
  }

  /** Everything the dashboard draws, now. */
  snapshot(nowMs = Date.now()): DashboardSnapshot {
    const status = this.coordinator.status();
    const t = this.coordinator.trainer;
    const totalSteps = Math.min(t.batches.length * t.options.epochs, t.options.maxSteps ?? Infinity);
    const recent = this.phases.slice(-20);
    const msPerStep = mean(recent.map((p) => p.totalMs));
    const etaMs =
      recent.length > 0 && status.state === 'training' ? Math.max(0, totalSteps - status.step) * msPerStep : null;
    return {
      format: DASHBOARD_FORMAT,
      status,
      totalSteps,
      etaMs,
      costs: [...this.costs],
      firstStep: Math.max(0, this.firstStep),
      epochs: [...this.epochs],
      phases: [...this.phases],
      workers: this.workers(nowMs),
      membership: [...this.log],
    };
  }
}
