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
import {
  ProtocolErrorCode,
  readTensor,
  type ProtocolError,
  type ProtocolErrorCodeValue,
  type ResultMessage,
  type StepRequest,
  type WireChainRole,
  type WorkerAgent,
  type WirePrecision,
  type WireTensor,
} from '@gradswarm/protocol';
import {
  checkRequest,
  type GradientMode,
  type GradientRequest,
  type GradientSource,
  type ShardRange,
  type ShardStats,
  type StepTask,
} from '@gradswarm/worker';

const WIRE_F32 = { weights: 'f32', results: 'f32' } as const;

export type RemoteWorkerState = 'JOINED' | 'READY' | 'DROPPED' | 'LEFT';

/** How the proxy talks to its connection (the server owns the socket and its protocol session). */
export interface WorkerLink {
  /** Sends a step through the session, which gives it its request id. */
  sendStep(step: StepRequest): void;
  /** Closes the connection with the close code of `code` (the protocol's error table) and a reason. */
  close(code: ProtocolErrorCodeValue, reason: string): void;
  /** Logs that the worker was dropped and why (one line). */
  dropped(reason: string): void;
  /** Stops waiting for the step in flight: its result, if it still comes, is ignored. */
  abandon(): void;
}

/** A chain round this worker could not finish, and the worker it blames (-1: none). */
export class ChainRoundFailed extends GradswarmError {
  /** @param unreachable the blamed worker's peer endpoint could not be reached at all */
  constructor(
    message: string,
    readonly blame: number,
    readonly unreachable = false,
  ) {
    super(ErrorCode.WORKER_LOST, message);
  }
}

interface Pending {
  readonly grads: readonly Float32Array[];
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
  /** ws:// (wss:// under TLS) URL of its chain peer endpoint; null: it does not listen (`--no-listen`), the star serves it. */
  peerUrl: string | null = null;
  /** Under TLS: the SHA-256 of its endpoint's certificate, which its predecessor pins. */
  peerFingerprint: string | null = null;
  /** What runs it (`hello.agent`): a `gradswarm worker` process or a browser tab. */
  agent: WorkerAgent = 'node';
  /** Payload bytes of the weights sent to it and the gradients it returned (frames and signatures not counted). */
  readonly payload = { sentBytes: 0, receivedBytes: 0 };
  /** Bytes of chunk frames over its chain peer links, as its chain results report them (the coordinator does not see them). */
  readonly peerTraffic = { sentBytes: 0, receivedBytes: 0 };
  private heldVersion = -1;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: number,
    readonly name: string,
    readonly threads: number,
    readonly backend: string,
    private readonly link: WorkerLink,
    private readonly stepTimeoutMs: number,
    /** `--wire-precision`: of the weights sent, and of the gradients asked for (f32 in reproducible mode). */
    private readonly wire: { readonly weights: WirePrecision; readonly results: WirePrecision } = WIRE_F32,
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

  /**
   * Its part in a chain round (chain-source.ts): a step message naming its neighbours; the
   * weights and the sum travel over peer links, the result brings the shards' statistics.
   */
  computeChain(
    task: StepTask,
    shards: readonly ShardRange[],
    reduce: GradientMode,
    chain: WireChainRole,
  ): Promise<ShardStats[]> {
    return this.enqueue(task, shards, [], reduce, chain);
  }

  /** Gives up the request in flight without blaming the worker (its chain round was re-planned). */
  abandon(err: Error): void {
    // Whatever it holds after a broken round, the next step sends it the weights.
    this.heldVersion = -1;
    if (!this.pending) return;
    this.failPending(err);
    this.link.abandon();
  }

  /** The connection heard from the worker (any signed message). */
  alive(): void {
    this.lastSeenMs = Date.now();
  }

  /**
   * Gradient `index` of the step in flight, streamed before its result: into the trainer's own
   * buffer at once (reused across steps, the only copy of its bytes), so the coordinator holds no
   * frames however many shards the step has. A request already failed or given up writes nothing
   * (its shards may be recomputed elsewhere into the same buffers).
   */
  onGradient(index: number, tensor: WireTensor): void {
    const p = this.pending;
    if (!p || index >= p.grads.length) return;
    readTensor(p.grads[index], tensor, `gradient ${index} of ${this.label}`);
    this.payload.receivedBytes += tensor.bytes.byteLength;
  }

  /**
   * A result that answers the step in flight (the session checked it against the step with
   * checkResultForStep), after its gradients (onGradient).
   */
  onResult(result: ResultMessage): void {
    const p = this.pending;
    if (!p) return;
    if (result.failed !== undefined) {
      this.heldVersion = -1;
      clearTimeout(p.timer);
      this.pending = null;
      p.reject(
        new ChainRoundFailed(`${this.label}: ${result.failed}`, result.blame ?? -1, result.unreachable === true),
      );
      return;
    }
    this.peerTraffic.sentBytes += result.peerSentBytes ?? 0;
    this.peerTraffic.receivedBytes += result.peerReceivedBytes ?? 0;
    const samples = result.counts.reduce((a, b) => a + b, 0);
    if (result.computeMs > 0) this.samplesPerSecond = samples / (result.computeMs / 1000);
    this.stepsServed++;
    clearTimeout(p.timer);
    this.pending = null;
    // The worker's compute time covers all shards of the message; it is reported on the first.
    p.resolve(
      result.lossSums.map((lossSum, k) => ({
        lossSum,
        count: result.counts[k],
        ...(k === 0 ? { computeMs: result.computeMs } : {}),
      })),
    );
  }

  /**
   * A result that does not answer the step in flight (stale, or the wrong shape): the request
   * fails (the trainer recomputes its shards) and the worker is dropped; the session closes the
   * connection with the error's close code.
   */
  rejected(error: ProtocolError): void {
    if (this.state === 'DROPPED' || this.state === 'LEFT') return;
    this.failPending(new GradswarmError(ErrorCode.WORKER_REJECTED, `${this.label}: ${error.message}`));
    this.link.dropped(error.message);
    this.lost('DROPPED', error.message);
  }

  /** The connection is gone (or being dropped): fail what is in flight. */
  lost(state: 'DROPPED' | 'LEFT', reason: string): void {
    if (this.state === 'DROPPED' || this.state === 'LEFT') return;
    this.state = state;
    this.failPending(
      new GradswarmError(
        ErrorCode.WORKER_LOST,
        `${this.label} (${this.name}) ${state === 'LEFT' ? 'left' : 'was lost'}: ${reason}`,
      ),
    );
  }

  /** Drops the worker: logs why, closes its connection with the code's close code, fails what is in flight. */
  drop(code: ProtocolErrorCodeValue, reason: string): void {
    if (this.state === 'DROPPED' || this.state === 'LEFT') return;
    this.link.dropped(reason);
    this.lost('DROPPED', reason);
    this.link.close(code, reason);
  }

  private enqueue(
    task: StepTask,
    shards: readonly ShardRange[],
    grads: readonly Float32Array[],
    reduce: GradientMode,
    chain?: WireChainRole,
  ): Promise<ShardStats[]> {
    const run = this.queue.then(() => this.request(task, shards, grads, reduce, chain));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private request(
    task: StepTask,
    shards: readonly ShardRange[],
    grads: readonly Float32Array[],
    reduce: GradientMode,
    chain?: WireChainRole,
  ): Promise<ShardStats[]> {
    if (reduce === 'fold') return Promise.reject(new RangeError(`${this.label} does not take fold requests`));
    if (this.state !== 'READY') {
      return Promise.reject(
        new GradswarmError(ErrorCode.WORKER_LOST, `${this.label} (${this.name}) is no longer connected`),
      );
    }
    const version = task.weightsVersion;
    return new Promise<ShardStats[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const reason = `missed the step deadline of ${this.stepTimeoutMs} ms`;
        this.failPending(new GradswarmError(ErrorCode.STEP_TIMEOUT, `${this.label} (${this.name}) ${reason}`));
        this.drop(ProtocolErrorCode.STEP_TIMEOUT, reason);
      }, this.stepTimeoutMs);
      this.pending = { grads, resolve, reject, timer };
      // The trainer's weights, not a copy: the session copies them into the tensor frame at once,
      // and they change only after every result of the step is in.
      // A chain step's weights come over the peer links.
      const weights = chain || this.heldVersion === version ? undefined : task.weights;
      this.payload.sentBytes += weights ? (this.wire.weights === 'bf16' ? 2 : 4) * weights.length : 0;
      const bf16Grads = this.wire.results === 'bf16' && !chain;
      // The wire step is the trainer's global step: in synchronous SGD the weights version is the
      // number of optimizer steps taken before this one.
      this.link.sendStep({
        step: version,
        version,
        weights,
        epoch: task.epoch,
        batch: task.batch,
        shards: shards.map((s) => ({ offset: s.offset, count: s.count })),
        reduce,
        ...(chain ? { chain } : {}),
        ...(bf16Grads ? { resultPrecision: 'bf16' as const } : {}),
        ...(task.local ? { local: task.local } : {}),
        ...(task.final ? { final: true } : {}),
      });
      // The worker keeps what it was sent; if the step fails it is dropped anyway (or, in a chain, abandoned).
      this.heldVersion = version;
    });
  }

  private failPending(err: unknown): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    p.reject(err);
  }
}
