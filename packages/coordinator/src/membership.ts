/**
 * Who computes: the coordinator's own lanes (fixed) and the remote workers that joined, in join
 * order. A worker that becomes READY during step k takes shards from step k+1 (the trainer asks
 * for the active sources at the start of each step). A failed or departed worker leaves the
 * round for good; if it reconnects it is a new participant with a new id. When nobody is left
 * the trainer waits here for a worker to (re)join.
 */
import type { GradientSource } from '@gradswarm/worker';
import { RemoteWorker } from './remote-worker.js';
import type { SourceProvider } from './source-provider.js';

export interface MembershipEvents {
  /** One line for the log: joins, leaves, drops, refusals. */
  log(line: string): void;
  /** The first step a source admitted now can take part in (0-based). */
  nextStep?(): number;
}

export class Membership implements SourceProvider {
  private readonly workers: RemoteWorker[] = [];
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private nextId = 1;
  private closedWith: unknown = null;

  constructor(
    private readonly local: readonly GradientSource[],
    private readonly events: MembershipEvents,
  ) {}

  /** A fresh worker id. */
  allocateId(): number {
    return this.nextId++;
  }

  /** Remote workers ever seen (for /status), in join order. */
  all(): readonly RemoteWorker[] {
    return this.workers;
  }

  /** Workers that take shards. */
  ready(): RemoteWorker[] {
    return this.workers.filter((w) => w.state === 'READY');
  }

  /** A worker holds the data set and takes shards from the next step. */
  admit(worker: RemoteWorker): void {
    worker.state = 'READY';
    this.workers.push(worker);
    const from = this.events.nextStep?.();
    const when = from === undefined ? '' : `; takes shards from step ${from + 1}`;
    this.events.log(`worker ${worker.id} (${worker.name}, ${worker.threads} thread${worker.threads === 1 ? '' : 's'}, ${worker.backend}) joined${when}; ${this.ready().length} ready`);
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
    if (source instanceof RemoteWorker && source.state === 'READY') source.drop(4000, (error as Error)?.message ?? String(error));
  }

  /**
   * A worker's connection ended or was refused.
   * @param logged true when the caller already logged the reason
   */
  departed(worker: RemoteWorker, state: 'DROPPED' | 'LEFT', reason: string, logged = false): void {
    if (worker.state === 'READY' && !logged) this.events.log(`worker ${worker.id} ${state === 'LEFT' ? 'left' : 'was lost'}: ${reason}; ${this.ready().length - 1} ready`);
    worker.lost(state, reason);
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
