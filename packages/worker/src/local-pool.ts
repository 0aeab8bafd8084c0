/**
 * A machine's thread pool: one Piscina thread per lane, all attached to the same shared
 * buffers (shared-state.ts). Each lane is a GradientSource of its own, so the trainer can size
 * shards per thread by measured throughput and sum them in a fixed order. Per step the host
 * publishes the weights into shared memory once (and the epoch's order once per epoch); a
 * gradient job is five numbers in the thread's mailbox and its result three (thread-channel.ts:
 * no postMessage, no event-loop turn on either side). A pool given the caller's backend
 * (takeBackWith) lets the caller, once its own shard is done, take back a job its thread has
 * not started and compute it itself, with the same bits: on a busy machine a woken thread can
 * wait for a core longer than its shard takes.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { availableParallelism } from 'node:os';
import {
  createWorkspace,
  gradientSum,
  runStepSlice,
  type BackpropWorkspace,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { Piscina } from 'piscina';
import { JOB_GRADIENT, JOB_MESSAGE } from './pool-jobs.js';
import { PoolThread, type JobWait } from './pool-thread.js';
import { DEFAULT_BLOCK_ROWS } from './in-process-source.js';
import { waitAtLeast } from './progress-wait.js';
import {
  CONTROL_EPOCH,
  CONTROL_VERSION,
  CONTROL_WEIGHTS_READY,
  controlGradReady,
  createSharedState,
  viewSharedState,
  type SharedViews,
} from './shared-state.js';
import { computeShardByShard } from './shard-compute.js';
import type {
  GradientRequest,
  GradientSource,
  ReplicaTaskMessage,
  ShardStats,
  ShardTask,
  SliceHelpers,
  SliceTaskMessage,
} from './types.js';
import type { PortJob } from './pool-jobs.js';

/** A shard computed into a pool thread's slot while its finished blocks can already be read. */
export interface StreamedShard {
  /** The gradient (the lane's shared slot), final in [0, end) once readyUpTo(end) resolves. */
  readonly grad: Float32Array;
  readonly readyUpTo: (end: number) => Promise<void>;
  readonly done: Promise<ShardStats>;
}

/**
 * The built task file. Threads run plain Node, which cannot load .ts: when this module itself is
 * loaded from src/ (unit tests under vitest), point at the compiled file in dist/.
 */
function taskFile(): string {
  const here = fileURLToPath(new URL('./gradient-task.js', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../dist/gradient-task.js', import.meta.url));
}

export interface LocalPoolOptions {
  readonly spec: ModelSpec;
  readonly data: LabeledSamples;
  /** Kernel backend name every thread loads (e.g. "reference"). */
  readonly backend: string;
  /** Number of threads [os.availableParallelism()]. */
  readonly threads?: number;
  /** Rows per backprop block [1024]; must be equal everywhere for bit-identical reproducible runs. */
  readonly blockRows?: number;
  /**
   * The calling thread's kernels (the same as `backend`'s): the caller then waits for a
   * thread's job blocking, and computes the job itself if the thread has not started it by
   * the time the caller is free. Only for a caller with no event loop work of its own to do
   * meanwhile (a local run, not a coordinator or a networked worker).
   */
  readonly takeBackWith?: KernelBackend;
}

/** How long a caller that takes jobs back blocks for a thread's job before awaiting it [ms]. */
const BLOCKING_WAIT_MS = 250;

/** Jobs the caller took back from its threads and ran itself. */
export interface TakenBack {
  shards: number;
  slices: number;
}

/** A gradient job's numbers in the mailbox, and its result's. */
const GRADIENT_ARGS_BYTES = 5 * 8;
const GRADIENT_RESULT_BYTES = 3 * 8;

/** Bytes handed to the threads: a job's numbers in its mailbox, a port message as V8 serialises it. */
export interface MessageBytes {
  sent: number;
  received: number;
  tasks: number;
}

export class LocalPool {
  readonly threads: number;
  readonly backend: string;
  readonly lanes: readonly GradientSource[];
  /** The lanes again, able to stream a shard's gradient block by block (chain overlap). */
  readonly streamingLanes: readonly StreamingLane[];
  readonly messageBytes: MessageBytes = { sent: 0, received: 0, tasks: 0 };
  readonly takenBack: TakenBack = { shards: 0, slices: 0 };
  /** The threads as helpers for the step's reduction and update, one slice each. */
  readonly helpers: SliceHelpers;
  /** @internal the views the lanes and the caller's take-back compute on */
  readonly views: SharedViews;
  private readonly threadsOf: PoolThread[];
  private readonly callerBackend: KernelBackend | null;
  private callerWorkspace: BackpropWorkspace | null = null;
  private readonly spec: ModelSpec;
  private readonly blockRows: number;
  private publishedVersion = -1;
  private publishedOrder: Uint32Array | null = null;
  private publishedEpoch = -1;

  /** @throws RangeError if threads or blockRows is not a positive integer */
  constructor(options: LocalPoolOptions) {
    const threads = options.threads ?? availableParallelism();
    const blockRows = options.blockRows ?? DEFAULT_BLOCK_ROWS;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256)
      throw new RangeError(`options.threads must be an integer in [1, 256], got ${threads}`);
    if (!Number.isInteger(blockRows) || blockRows < 1)
      throw new RangeError(`options.blockRows must be a positive integer, got ${blockRows}`);
    this.threads = threads;
    this.backend = options.backend;
    const shared = createSharedState(options.spec, options.data, threads);
    this.views = viewSharedState(shared);
    this.spec = options.spec;
    this.blockRows = blockRows;
    this.callerBackend = options.takeBackWith ?? null;
    this.threadsOf = [];
    const lanes: ThreadLane[] = [];
    for (let slot = 0; slot < threads; slot++) {
      const pool = new Piscina({
        filename: taskFile(),
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Number.MAX_SAFE_INTEGER,
        concurrentTasksPerWorker: 1,
        workerData: { shared, slot, backend: options.backend, blockRows },
      });
      const thread = new PoolThread(slot, pool, 0);
      this.threadsOf.push(thread);
      lanes.push(new ThreadLane(this, thread, slot, this.views.slot(slot), this.views.control));
    }
    this.lanes = lanes;
    this.streamingLanes = lanes;
    this.helpers = {
      count: threads,
      allocate: (length) => new Float32Array(new SharedArrayBuffer(length * 4)),
      run: (helper, job) => this.runSlice(helper, job),
    };
  }

  /**
   * Helper `helper`'s slice of a step's update on its thread. The trainer asks only once every
   * gradient of the step is in, so the lane's thread is idle and its queue empty.
   */
  private runSlice(helper: number, job: SliceTaskMessage['job']): Promise<void> {
    const message: SliceTaskMessage = { kind: 'slice', job };
    const backend = this.callerBackend;
    const how: JobWait<void> = {
      blockingMs: BLOCKING_WAIT_MS,
      ...(backend
        ? {
            local: () => {
              this.takenBack.slices++;
              runStepSlice(job, backend);
            },
          }
        : {}),
    };
    return this.threadsOf[helper].run(
      (args, send) => {
        return this.sendJob(message, args, send);
      },
      () => undefined,
      how,
    );
  }

  private nextMessageId = 1;

  /**
   * @internal posts a job that is a port message, numbered in args[0]: a job taken back
   * leaves its message unread on the port, and the thread skips it by its number.
   */
  sendJob(task: ReplicaTaskMessage | SliceTaskMessage, args: Float64Array, send: (message: unknown) => void): number {
    const message: PortJob = { id: this.nextMessageId++, task };
    args[0] = message.id;
    this.messageBytes.sent += serialize(message).byteLength;
    this.messageBytes.tasks++;
    send(message);
    return JOB_MESSAGE;
  }

  /**
   * @internal how a lane waits for a gradient job: blocking, and taking it back (computing
   * `task` into `grad` here) when this pool takes jobs back; else asynchronously.
   */
  gradientWait(task: ShardTask, grad: Float32Array): JobWait<ShardStats> {
    const backend = this.callerBackend;
    if (!backend || task.local) return {};
    return {
      blockingMs: BLOCKING_WAIT_MS,
      local: () => {
        const started = performance.now();
        this.callerWorkspace ??= createWorkspace(this.spec, this.blockRows);
        const v = this.views;
        const sel = { index: v.order, offset: task.offset, count: task.count };
        const stats = gradientSum(backend, v.weights, v.data, sel, grad, this.callerWorkspace);
        this.takenBack.shards++;
        return { lossSum: stats.lossSum, count: stats.count, computeMs: performance.now() - started };
      },
    };
  }

  /** Makes the task's weights version and epoch order visible to every thread (once each). */
  publish(task: ShardTask): void {
    if (task.weightsVersion !== this.publishedVersion) {
      this.views.weights.set(task.weights);
      this.publishedVersion = task.weightsVersion;
      Atomics.store(this.views.control, CONTROL_WEIGHTS_READY, this.views.weights.length);
      Atomics.store(this.views.control, CONTROL_VERSION, task.weightsVersion);
    }
    if (task.order !== this.publishedOrder || task.epoch !== this.publishedEpoch) {
      this.views.order.set(task.order);
      this.publishedOrder = task.order;
      this.publishedEpoch = task.epoch;
      Atomics.store(this.views.control, CONTROL_EPOCH, task.epoch);
    }
  }

  /**
   * Publishes weights version `version` before its values are in: the threads may start and
   * wait for each block of the first layer (weightsArrived) as the chain brings it.
   */
  beginWeightsStream(version: number): void {
    this.publishedVersion = version;
    Atomics.store(this.views.control, CONTROL_WEIGHTS_READY, 0);
    Atomics.store(this.views.control, CONTROL_VERSION, version);
  }

  /** weights[from, to) of the streamed version are in `source`: copies them and wakes the threads. */
  weightsArrived(source: Float32Array, from: number, to: number): void {
    this.views.weights.set(source.subarray(from, to), from);
    Atomics.store(this.views.control, CONTROL_WEIGHTS_READY, to);
    Atomics.notify(this.views.control, CONTROL_WEIGHTS_READY);
  }

  /**
   * A stream that will not complete (the round failed): wakes every waiting thread (what it
   * computes is discarded). The round's later tasks still publish its (partial) weights, so
   * once they are all done the caller calls forgetWeights.
   */
  cancelWeightsStream(): void {
    Atomics.store(this.views.control, CONTROL_WEIGHTS_READY, this.views.weights.length);
    Atomics.notify(this.views.control, CONTROL_WEIGHTS_READY);
  }

  /** The shared weights are no version's: the next task publishes its weights whole. */
  forgetWeights(): void {
    this.publishedVersion = -1;
  }

  private closing: Promise<void> | null = null;

  /** Stops every thread; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.threadsOf.map((t) => t.stop())).then(() => undefined);
    return this.closing;
  }
}

/** A lane that can compute one shard straight into its shared slot, reporting blocks as they are final. */
export interface StreamingLane {
  computeStreaming(task: ShardTask): StreamedShard;
}

class ThreadLane implements GradientSource, StreamingLane {
  readonly label: string;
  readonly threads = 1;
  readonly backend: string;

  constructor(
    private readonly owner: LocalPool,
    private readonly thread: PoolThread,
    private readonly slot: number,
    private readonly slotView: Float32Array,
    private readonly control: Int32Array,
  ) {
    this.label = `thread ${slot}`;
    this.backend = owner.backend;
  }

  /** The request's shards one after the other on this lane's thread. */
  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, (task, grad) => this.computeOne(task, grad));
  }

  /**
   * One shard into this lane's slot (no copy out), its progress readable while the thread works.
   * The slot holds the gradient until the lane's next task.
   */
  computeStreaming(task: ShardTask): StreamedShard {
    let started: () => void = () => undefined;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const done = this.computeOne(task, this.slotView, started);
    const index = controlGradReady(this.slot);
    return {
      grad: this.slotView,
      done,
      // Only once this task has reset the counter does it speak for this task.
      readyUpTo: (end) => Promise.race([begun, done]).then(() => waitAtLeast(this.control, index, end, done)),
    };
  }

  /**
   * One task at a time per lane (PoolThread queues them): every task of a lane writes the same
   * shared slot, which is copied out before the next starts. A lane gets a second task of a
   * step when a lost worker's shards are reassigned to it. An idle lane posts at once (not a
   * microtask later): the trainer may block this thread computing its own shard right after
   * handing the lanes theirs.
   */
  private computeOne(task: ShardTask, grad: Float32Array, streamStarted?: () => void): Promise<ShardStats> {
    const owner = this.owner;
    const write = (args: Float64Array, send: (message: unknown) => void): number => {
      owner.publish(task);
      if (streamStarted) {
        Atomics.store(this.control, controlGradReady(this.slot), 0);
        streamStarted();
      }
      if (task.local) {
        const message: ReplicaTaskMessage = {
          kind: 'replica',
          version: task.weightsVersion,
          epoch: task.epoch,
          replica: task.offset,
          plan: task.local,
        };
        return owner.sendJob(message, args, send);
      }
      args[0] = task.weightsVersion;
      args[1] = task.epoch;
      args[2] = task.offset;
      args[3] = task.count;
      args[4] = streamStarted ? 1 : 0;
      owner.messageBytes.sent += GRADIENT_ARGS_BYTES;
      owner.messageBytes.tasks++;
      return JOB_GRADIENT;
    };
    const read = (args: Float64Array): ShardStats => {
      // The slot is this lane's alone and its job has finished, so reading it here is race-free.
      if (grad !== this.slotView) grad.set(this.slotView);
      if (!task.local) owner.messageBytes.received += GRADIENT_RESULT_BYTES;
      return { lossSum: args[0], count: args[1], computeMs: args[2] };
    };
    return this.thread.run(write, read, streamStarted ? {} : owner.gradientWait(task, grad));
  }

  close(): Promise<void> {
    return this.owner.close();
  }
}
