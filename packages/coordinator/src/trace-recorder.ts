/**
 * `--trace FILE.json`: the run as a Chrome Trace Event file (the JSON object format: opens in
 * Perfetto and chrome://tracing). One process, "gradswarm"; one track (thread) for the
 * coordinator and one per gradient source, in the order they first computed. Per step:
 *
 *   coordinator  "step N" (the whole step) ⊃ "wait" (until the last result) then "reduce+update"
 *   each source  "step N" (request to result) ⊃ "send+wait", then "compute"
 *
 * A source reports how long it computed, not when: its compute span is drawn at the end of its
 * request (a result goes out right after it is computed); the rest of the request is the link and
 * queues. Membership changes and reassigned shards are instant events on the coordinator track.
 * Times are microseconds since the trace started. Steps are numbered from 1 as in the logs.
 */
import type { GradientSource } from '@gradswarm/worker';
import { RemoteWorker } from './remote-worker.js';
import type { RunEvents, Unsubscribe } from './run-events.js';

/** One Trace Event (the fields this file writes). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'M';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly s?: 't' | 'p' | 'g';
  readonly args?: Record<string, unknown>;
}

/** The file's top-level object. */
export interface TraceDocument {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Record<string, unknown>;
}

export interface TraceOptions {
  /** First and last step traced, 1-based and inclusive [1, Infinity]. */
  readonly fromStep?: number;
  readonly toStep?: number;
  /** Events kept at most; later ones are counted, not kept [2,000,000]. */
  readonly maxEvents?: number;
}

const PID = 1;
const COORDINATOR_TID = 0;

export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private readonly tids = new Map<GradientSource, number>();
  private readonly originMs = performance.now();
  private readonly fromStep: number;
  private readonly toStep: number;
  private readonly maxEvents: number;
  private dropped = 0;
  private stepStartMs = new Map<number, number>();
  private lastResultMs = 0;
  private readonly off: Unsubscribe[];

  /**
   * Follows `events` from now on.
   * @throws RangeError for a step range that is not 1 ≤ fromStep ≤ toStep
   */
  constructor(events: RunEvents, options: TraceOptions = {}) {
    this.fromStep = options.fromStep ?? 1;
    this.toStep = options.toStep ?? Infinity;
    this.maxEvents = options.maxEvents ?? 2_000_000;
    if (!(Number.isInteger(this.fromStep) && this.fromStep >= 1 && this.toStep >= this.fromStep))
      throw new RangeError(
        `options.fromStep and toStep must satisfy 1 <= fromStep <= toStep, got ${this.fromStep}:${this.toStep}`,
      );
    this.push({ name: 'process_name', ph: 'M', pid: PID, tid: COORDINATOR_TID, args: { name: 'gradswarm' } });
    this.push({ name: 'thread_name', ph: 'M', pid: PID, tid: COORDINATOR_TID, args: { name: 'coordinator' } });
    this.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: COORDINATOR_TID, args: { sort_index: 0 } });
    this.off = this.subscribe(events);
  }

  /** Stops following the events. */
  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  /** The trace so far. */
  document(): TraceDocument {
    return {
      traceEvents: this.events,
      displayTimeUnit: 'ms',
      otherData: { producer: 'gradswarm', droppedEvents: this.dropped },
    };
  }

  toJson(): string {
    return `${JSON.stringify(this.document())}\n`;
  }

  private traced(step: number): boolean {
    return step + 1 >= this.fromStep && step + 1 <= this.toStep;
  }

  private us(ms: number): number {
    return Math.max(0, Math.round((ms - this.originMs) * 1000));
  }

  private push(event: TraceEvent): void {
    if (this.events.length < this.maxEvents) this.events.push(event);
    else this.dropped++;
  }

  private span(tid: number, name: string, fromMs: number, toMs: number, args?: Record<string, unknown>): void {
    const ts = this.us(fromMs);
    this.push({ name, cat: 'step', ph: 'X', pid: PID, tid, ts, dur: Math.max(0, this.us(toMs) - ts), args });
  }

  private instant(name: string, args: Record<string, unknown>): void {
    this.push({
      name,
      cat: 'membership',
      ph: 'i',
      s: 't',
      pid: PID,
      tid: COORDINATOR_TID,
      ts: this.us(performance.now()),
      args,
    });
  }

  private tidOf(source: GradientSource): number {
    let tid = this.tids.get(source);
    if (tid === undefined) {
      tid = this.tids.size + 1;
      this.tids.set(source, tid);
      const name = source instanceof RemoteWorker ? `${source.label} (${source.name})` : source.label;
      this.push({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name } });
      this.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: tid } });
    }
    return tid;
  }

  private subscribe(events: RunEvents): Unsubscribe[] {
    return [
      events.on('stepStart', (e) => {
        if (!this.traced(e.step)) return;
        this.stepStartMs.set(e.step, e.atMs);
        this.lastResultMs = e.atMs;
      }),
      events.on('measured', (e) => {
        if (!this.traced(e.step)) return;
        const tid = this.tidOf(e.source);
        const startMs = e.atMs - e.wallMs;
        const computeStartMs = e.atMs - Math.min(e.computeMs, e.wallMs);
        this.span(tid, `step ${e.step + 1}`, startMs, e.atMs, { samples: e.samples });
        this.span(tid, 'send+wait', startMs, computeStartMs);
        this.span(tid, 'compute', computeStartMs, e.atMs);
        this.lastResultMs = Math.max(this.lastResultMs, e.atMs);
      }),
      events.on('step', (e) => {
        const startMs = this.stepStartMs.get(e.step);
        if (startMs === undefined) return;
        this.stepStartMs.delete(e.step);
        const endMs = startMs + e.timing.totalMs;
        const updateStartMs = Math.max(startMs, endMs - e.timing.reduceUpdateMs);
        this.span(COORDINATOR_TID, `step ${e.step + 1}`, startMs, endMs, {
          epoch: e.epoch + 1,
          cost: e.cost,
          samples: e.samples,
          sentBytes: e.traffic.sentBytes,
          receivedBytes: e.traffic.receivedBytes,
        });
        this.span(COORDINATOR_TID, 'wait', startMs, Math.min(this.lastResultMs, updateStartMs));
        this.span(COORDINATOR_TID, 'reduce+update', updateStartMs, endMs);
      }),
      events.on('joined', (e) => this.instant('joined', { worker: e.id, name: e.name, threads: e.threads })),
      events.on('left', (e) => this.instant('left', { worker: e.id, name: e.name, reason: e.reason })),
      events.on('dropped', (e) => this.instant('dropped', { worker: e.id, name: e.name, reason: e.reason })),
      events.on('reassigned', (e) =>
        this.instant('reassigned', { from: e.source.label, shards: e.shards.length, to: e.to.map((t) => t.label) }),
      ),
    ];
  }
}
