/**
 * Who computes: the coordinator's own lanes (fixed) and the remote workers that joined, in join
 * order. A worker that becomes READY during step k takes shards from step k+1 (the trainer asks
 * for the active sources at the start of each step). A failed or departed worker leaves the
 * round for good; if it reconnects it is a new participant with a new id. When nobody is left
 * the trainer waits here for a worker to (re)join.
 *
 * Departed workers are kept for /status in a bounded history (the last `maxDepartedWorkers`),
 * so a worker joining and leaving every step for hours costs no memory (issue 16 item 19);
 * `admittedCount` and `departedCount` still count every one.
 *
 * Rounds (torch.distributed.elastic's vocabulary): the participants of a step, in rank order
 * (rank = position in the shard order), are a round; the round number goes up by one at the
 * first step boundary where the participants differ from the previous step's. worldSize is the
 * number of participants.
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { PROTOCOL_ERRORS, ProtocolErrorCode } from '@gradswarm/protocol';
import type { GradientSource } from '@gradswarm/worker';
import { RemoteWorker } from './remote-worker.js';
import type { ChainPlan, SourceProvider } from './source-provider.js';

/** Close code of a worker dropped because a recomputation disagreed with its result (docs/errors.md). */
export const RESULT_DISAGREES_CLOSE_CODE = PROTOCOL_ERRORS.GS_ERR_RESULT_DISAGREES.closeCode;

export interface MembershipEvents {
  /** One line for the log: joins, leaves, drops, refusals. */
  log(line: string): void;
  /** The first step a source admitted now can take part in (0-based). */
  nextStep?(): number;
  /** A worker was admitted (after its line is logged); `fromStep` as nextStep() said. */
  joined?(worker: RemoteWorker, fromStep: number | undefined): void;
  /** An admitted worker departed: 'LEFT' said goodbye, 'DROPPED' was dropped or lost. */
  departed?(worker: RemoteWorker, state: 'DROPPED' | 'LEFT', reason: string): void;
}

export interface MembershipOptions {
  /** Departed workers kept for /status, the most recent ones [100]; 0: none; Infinity: all. */
  readonly maxDepartedWorkers?: number;
}

export const DEFAULT_MAX_DEPARTED_WORKERS = 100;

/** One round of membership: who takes part, in rank order, from a step on. */
export interface MembershipRound {
  /** 0-based; +1 each time the participants change at a step boundary. */
  readonly round: number;
  /** The first step of the round (0-based). */
  readonly fromStep: number;
  /** Number of participants. */
  readonly worldSize: number;
  /** The participants; a participant's index is its rank. */
  readonly participants: readonly GradientSource[];
}

export class Membership implements SourceProvider {
  private current: MembershipRound | null = null;
  /** Admitted workers not yet seen departed, in join order. */
  private readonly workers: RemoteWorker[] = [];
  private chainPlan: ((sources: readonly GradientSource[]) => ChainPlan | null) | null = null;
  /** Departed workers, oldest first, at most maxDepartedWorkers. */
  private readonly history: RemoteWorker[] = [];
  private readonly maxDepartedWorkers: number;
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private nextId = 1;
  private closedWith: unknown = null;
  private admitted = 0;
  private departedTotal = 0;

  /** @throws RangeError if options.maxDepartedWorkers is not a non-negative integer or Infinity */
  constructor(
    private readonly local: readonly GradientSource[],
    private readonly events: MembershipEvents,
    options: MembershipOptions = {},
  ) {
    const max = options.maxDepartedWorkers ?? DEFAULT_MAX_DEPARTED_WORKERS;
    if (!(max === Infinity || (Number.isInteger(max) && max >= 0)))
      throw new RangeError(`options.maxDepartedWorkers must be a non-negative integer or Infinity, got ${max}`);
    this.maxDepartedWorkers = max;
  }

  /** Workers admitted since the start. */
  get admittedCount(): number {
    return this.admitted;
  }

  /** Admitted workers that departed since the start (all() keeps only the last few). */
  get departedCount(): number {
    this.prune();
    return this.departedTotal;
  }

  /** A fresh worker id. */
  allocateId(): number {
    return this.nextId++;
  }

  /** Remote workers taking part and the most recently departed ones (for /status), in id order. */
  all(): readonly RemoteWorker[] {
    this.prune();
    return [...this.workers, ...this.history].sort((a, b) => a.id - b.id);
  }

  /** Workers that take shards. */
  ready(): RemoteWorker[] {
    this.prune();
    return this.workers.filter((w) => w.state === 'READY');
  }

  /** A worker holds the data set and takes shards from the next step. */
  admit(worker: RemoteWorker): void {
    worker.state = 'READY';
    this.prune();
    this.workers.push(worker);
    this.admitted++;
    const from = this.events.nextStep?.();
    const when = from === undefined ? '' : `; takes shards from step ${from + 1}`;
    this.events.log(
      `worker ${worker.id} (${worker.name}, ${worker.threads} thread${worker.threads === 1 ? '' : 's'}, ${worker.backend}) joined${when}; ${this.ready().length} ready`,
    );
    this.events.joined?.(worker, from);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  active(): readonly GradientSource[] {
    return [...this.local, ...this.ready()];
  }

  failed(source: GradientSource, error: unknown): void {
    // Every way a worker fails has already changed its state and logged one line; a source
    // still READY here failed some other way and is dropped now.
    if (source instanceof RemoteWorker && source.state === 'READY') {
      const code =
        error instanceof GradswarmError && error.code === ErrorCode.RESULT_DISAGREES
          ? ProtocolErrorCode.RESULT_DISAGREES
          : ProtocolErrorCode.REJECTED;
      source.drop(code, (error as Error)?.message ?? String(error));
    }
  }

  /** Plans the chain of each step (the coordinator sets it when the topology is chain). */
  setChain(plan: ((sources: readonly GradientSource[]) => ChainPlan | null) | null): void {
    this.chainPlan = plan;
  }

  chain(sources: readonly GradientSource[]): ChainPlan | null {
    return this.chainPlan?.(sources) ?? null;
  }

  /** Only this machine's own lanes are trusted; remote workers' results are screened. */
  trusted(source: GradientSource): boolean {
    return this.local.includes(source);
  }

  log(line: string): void {
    this.events.log(line);
  }

  /**
   * A worker's connection ended or was refused.
   * @param logged true when the caller already logged the reason
   */
  departed(worker: RemoteWorker, state: 'DROPPED' | 'LEFT', reason: string, logged = false): void {
    const wasReady = worker.state === 'READY';
    if (wasReady && !logged)
      this.events.log(
        `worker ${worker.id} ${state === 'LEFT' ? 'left' : 'was lost'}: ${reason}; ${this.ready().length - 1} ready`,
      );
    worker.lost(state, reason);
    if (wasReady) this.events.departed?.(worker, state, reason);
    this.prune();
  }

  /**
   * A ready worker is being dropped by its own session (a step timeout, a refused result):
   * its link calls this before the worker's state changes, so `departed` sees it once.
   */
  dropping(worker: RemoteWorker, reason: string): void {
    if (worker.state === 'READY') this.events.departed?.(worker, 'DROPPED', reason);
  }

  /** Moves departed workers (however they went: drop, leave, lost link) into the bounded history. */
  private prune(): void {
    let kept = 0;
    for (const w of this.workers) {
      if (w.state === 'READY') this.workers[kept++] = w;
      else {
        this.history.push(w);
        this.departedTotal++;
      }
    }
    this.workers.length = kept;
    if (this.history.length > this.maxDepartedWorkers)
      this.history.splice(0, this.history.length - this.maxDepartedWorkers);
  }

  beginStep(step: number, sources: readonly GradientSource[]): void {
    const c = this.current;
    if (c && c.participants.length === sources.length && c.participants.every((p, i) => p === sources[i])) return;
    this.current = Object.freeze({
      round: c ? c.round + 1 : 0,
      fromStep: step,
      worldSize: sources.length,
      participants: Object.freeze([...sources]),
    });
  }

  /** The round of the step in progress (or the last one); null before the first step. */
  round(): MembershipRound | null {
    return this.current;
  }

  /** A source's rank in the current round, or -1 if it does not take part. */
  rankOf(source: GradientSource): number {
    return this.current?.participants.indexOf(source) ?? -1;
  }

  /** Participants of the current round (0 before the first step). */
  worldSize(): number {
    return this.current?.worldSize ?? 0;
  }

  waitForSource(): Promise<void> {
    if (this.active().length > 0) return Promise.resolve();
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    this.events.log('no worker is connected; waiting for one to join');
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Ends any wait (the run is stopping). */
  close(reason: unknown): void {
    this.closedWith = reason;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(reason);
  }
}
