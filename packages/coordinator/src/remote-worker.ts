/**
 * The coordinator's handle on one joined remote machine: a GradientSource whose shards travel
 * as step messages and come back as result messages. One request is in flight at a time; the
 * weights go along only when the worker does not hold that version yet. A missed deadline, a
 * lost link or a result that fails validation rejects the request with a recoverable error (the
 * trainer recomputes the shards elsewhere) and drops the worker.
 *
 * States: JOINED (authenticated) → READY (holds the data set; takes shards) → DROPPED | LEFT.
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { bytesToFloat32, float32ToBytes, type Message, type ResultMessage } from '@gradswarm/protocol';
import { checkRequest, type GradientMode, type GradientRequest, type GradientSource, type ShardRange, type ShardStats, type StepTask } from '@gradswarm/worker';

export type RemoteWorkerState = 'JOINED' | 'READY' | 'DROPPED' | 'LEFT';

/** How the proxy talks to its connection (the server owns the socket). */
export interface WorkerLink {
  send(message: Message): void;
  /** Closes the connection with a WebSocket close code and a reason. */
  close(code: number, reason: string): void;
  /** Logs that the worker was dropped and why (one line). */
  dropped(reason: string): void;
}

interface Pending {
  readonly step: number;
  readonly version: number;
  readonly grads: readonly Float32Array[];
  readonly reduce: GradientMode;
  readonly resolve: (stats: ShardStats[]) => void;
  readonly reject: (err: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export class RemoteWorker implements GradientSource {
  readonly label: string;
  state: RemoteWorkerState = 'JOINED';
  /** Samples per second over its last results (moving average), for /status. */
  samplesPerSecond = 0;
  lastSeenMs = Date.now();
  stepsServed = 0;
  private heldVersion = -1;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private requestId = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly threads: number,
    readonly backend: string,
    private readonly link: WorkerLink,
    private readonly stepTimeoutMs: number,
  ) {
    this.label = `worker ${id}`;
  }

  /** One step message for the whole request; the worker sums its threads only in `sum` mode. */
  async compute(request: GradientRequest): Promise<ShardStats[]> {
    checkRequest(request);
    const stats = await this.enqueue(request.task, request.shards, request.grads, request.mode);
    request.grads.forEach((g, k) => request.onReady?.(k, 0, g.length));
    return stats;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A message from this worker's connection (already decoded and validated). */
  handle(message: Message): void {
    this.lastSeenMs = Date.now();
    if (message.t === 'result') this.onResult(message);
  }

  /** The connection is gone (or being dropped): fail what is in flight. */
  lost(state: 'DROPPED' | 'LEFT', reason: string): void {
    if (this.state === 'DROPPED' || this.state === 'LEFT') return;
    this.state = state;
    this.failPending(new GradswarmError(ErrorCode.WORKER_LOST, `${this.label} (${this.name}) ${state === 'LEFT' ? 'left' : 'was lost'}: ${reason}`));
  }

  /** Drops the worker: logs why, closes its connection with a code and reason, fails what is in flight. */
  drop(code: number, reason: string): void {
    if (this.state === 'DROPPED' || this.state === 'LEFT') return;
    this.link.dropped(reason);
    this.lost('DROPPED', reason);
    this.link.close(code, reason.slice(0, 120));
  }

  private enqueue(task: StepTask, shards: readonly ShardRange[], grads: readonly Float32Array[], reduce: GradientMode): Promise<ShardStats[]> {
    const run = this.queue.then(() => this.request(task, shards, grads, reduce));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private request(task: StepTask, shards: readonly ShardRange[], grads: readonly Float32Array[], reduce: GradientMode): Promise<ShardStats[]> {
    if (this.state !== 'READY') {
      return Promise.reject(new GradswarmError(ErrorCode.WORKER_LOST, `${this.label} (${this.name}) is no longer connected`));
    }
    const step = ++this.requestId;
    const version = task.weightsVersion;
    return new Promise<ShardStats[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const reason = `missed the step deadline of ${this.stepTimeoutMs} ms`;
        this.failPending(new GradswarmError(ErrorCode.STEP_TIMEOUT, `${this.label} (${this.name}) ${reason}`));
        this.drop(4006, reason);
      }, this.stepTimeoutMs);
      this.pending = { step, version, grads, reduce, resolve, reject, timer };
      // A view on the trainer's weights, not a copy: send() encodes it at once, and the weights
      // change only after every result of the step is in.
      const weights = this.heldVersion === version ? undefined : float32ToBytes(task.weights);
      this.link.send({ t: 'step', step, version, weights, epoch: task.epoch, batch: task.batch, shards: shards.map((s) => ({ offset: s.offset, count: s.count })), reduce });
      // The worker keeps what it was sent; if the step fails it is dropped anyway.
      this.heldVersion = version;
    });
  }

  private onResult(result: ResultMessage): void {
    const p = this.pending;
    if (!p || result.step !== p.step || result.version !== p.version) {
      const what = p ? `step ${p.step} version ${p.version} was asked` : 'nothing was asked';
      const reason = `stale result for step ${result.step} version ${result.version} while ${what}`;
      this.failPending(new GradswarmError(ErrorCode.WORKER_REJECTED, `${this.label}: ${reason}`));
      this.drop(4004, reason);
      return;
    }
    const expected = p.reduce === 'sum' ? 1 : p.grads.length;
    if (result.grads.length !== expected) {
      const reason = `returned ${result.grads.length} gradients, ${expected} were asked`;
      this.failPending(new GradswarmError(ErrorCode.WORKER_REJECTED, `${this.label} ${reason}`));
      this.drop(4002, reason);
      return;
    }
    result.grads.forEach((bytes, k) => p.grads[k].set(bytesToFloat32(bytes)));
    const samples = result.counts.reduce((a, b) => a + b, 0);
    if (result.computeMs > 0) this.samplesPerSecond = samples / (result.computeMs / 1000);
    this.stepsServed++;
    clearTimeout(p.timer);
    this.pending = null;
    // The worker's compute time covers all shards of the message; it is reported on the first.
    p.resolve(result.lossSums.map((lossSum, k) => ({ lossSum, count: result.counts[k], ...(k === 0 ? { computeMs: result.computeMs } : {}) })));
  }

  private failPending(err: unknown): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    p.reject(err);
  }
}
