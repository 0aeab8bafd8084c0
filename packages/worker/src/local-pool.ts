/**
 * A machine's thread pool: one Piscina thread per lane, all attached to the same shared
 * buffers (shared-state.ts). Each lane is a GradientSource of its own, so the trainer can size
 * shards per thread by measured throughput and sum them in a fixed order. Every job goes
 * through the thread's channel in shared memory (pool-thread.ts, thread-channel.ts), not
 * postMessage: a gradient job is ten numbers and its result three. The weights and gradients
 * the trainer keeps in the pool's memory (helpers.allocate) are read and written in place;
 * other arrays go through the pool's weights copy (published once per version) and each
 * thread's gradient slot.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import {
  createWorkspace,
  gradientSum,
  runStepSlice,
  selectBackend,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
  type StepSliceJob,
  type BackpropWorkspace,
} from '@gradswarm/core';
import { Piscina } from 'piscina';
import { DEFAULT_BLOCK_ROWS } from './in-process-source.js';
import { encodeSliceJob, JOB_GRADIENT, JOB_SLICE, JOB_SLICE_POSTED, SharedBuffers } from './pool-jobs.js';
import { PoolThread } from './pool-thread.js';
import {
  CONTROL_EPOCH,
  CONTROL_VERSION,
  createSharedState,
  viewSharedState,
  type SharedViews,
} from './shared-state.js';
import { computeShardByShard } from './shard-compute.js';
import type { GradientRequest, GradientSource, ShardStats, ShardTask, SliceHelpers } from './types.js';

/**
 * The built task file. Threads run plain Node, which cannot load .ts: when this module itself is
 * loaded from src/ (unit tests under vitest), point at the compiled file in dist/.
 */
function taskFile(): string {
  const here = fileURLToPath(new URL('./gradient-task.js', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../dist/gradient-task.js', import.meta.url));
}

/**
 * How long a thread polls for its next job before it sleeps [µs]. Polling saves the sleep and
 * the wake-up (scripts/bench-handoff.mjs: p90 9 µs instead of 44), but on a machine whose cores
 * are all busy it burns time the threads' own work needed: there 0 trained faster at batch 200
 * (README, "Threads on one machine"), so the pool does not poll unless asked to.
 */
export const DEFAULT_SPIN_MICROS = 0;

/**
 * How long the main thread waits blocking for a helper's slice of the update once its own is
 * done [ms] (then it waits on the event loop): a slice is short, and a blocking wait is woken
 * without an event-loop turn.
 */
const SLICE_BLOCKING_MS = 20;

export interface LocalPoolOptions {
  readonly spec: ModelSpec;
  readonly data: LabeledSamples;
  /** Kernel backend name every thread loads (e.g. "reference"). */
  readonly backend: string;
  /** Number of threads [os.availableParallelism()]. */
  readonly threads?: number;
  /** Rows per backprop block [1024]; must be equal everywhere for bit-identical reproducible runs. */
  readonly blockRows?: number;
  /** Microseconds a thread polls for its next job before sleeping [DEFAULT_SPIN_MICROS]; 0: never. */
  readonly spinMicros?: number;
  /**
   * The calling thread computes a lane's shard itself when it is free before the lane's thread
   * has started it [false]. Only for a caller whose event loop may block for a shard (a local
   * run, not a coordinator serving a network). Slices of the update are always taken back.
   */
  readonly steal?: boolean;
}

/** Bytes of job numbers and results that crossed the channels (a gradient job's). */
export interface MessageBytes {
  sent: number;
  received: number;
  tasks: number;
}

/** A gradient job's numbers (version, epoch, offset, count, two buffer refs) and its result. */
const GRADIENT_ARGS_BYTES = 10 * 8;
const GRADIENT_RESULT_BYTES = 3 * 8;

export class LocalPool {
  readonly threads: number;
  readonly backend: string;
  readonly lanes: readonly GradientSource[];
  readonly messageBytes: MessageBytes = { sent: 0, received: 0, tasks: 0 };
  /** Jobs this thread took back from a thread that had not started them. */
  readonly takenBack = { shards: 0, slices: 0 };
  /** The threads as helpers for the step's reduction and update, one slice each. */
  readonly helpers: SliceHelpers;
  /** The pool's shared buffers, which every thread can name. */
  readonly buffers: SharedBuffers;
  private readonly views: SharedViews;
  private readonly poolThreads: PoolThread[];
  private publishedVersion = -1;
  private publishedOrder: Uint32Array | null = null;
  private publishedEpoch = -1;
  private readonly spec: ModelSpec;
  private readonly blockRows: number;
  /** Whether lanes' shards may be taken back (LocalPoolOptions.steal). */
  readonly steal: boolean;
  /** This thread's kernel and workspace for jobs it takes back, made on first use. */
  private here: { readonly kernel: KernelBackend; workspace: BackpropWorkspace | null } | null = null;

  /** @throws RangeError if threads or blockRows is not a positive integer, or spinMicros negative */
  constructor(options: LocalPoolOptions) {
    const threads = options.threads ?? availableParallelism();
    const blockRows = options.blockRows ?? DEFAULT_BLOCK_ROWS;
    const spinMicros = options.spinMicros ?? DEFAULT_SPIN_MICROS;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256)
      throw new RangeError(`options.threads must be an integer in [1, 256], got ${threads}`);
    if (!Number.isInteger(blockRows) || blockRows < 1)
      throw new RangeError(`options.blockRows must be a positive integer, got ${blockRows}`);
    if (!(spinMicros >= 0)) throw new RangeError(`options.spinMicros must be 0 or more, got ${spinMicros}`);
    this.threads = threads;
    this.backend = options.backend;
    this.spec = options.spec;
    this.blockRows = blockRows;
    this.steal = options.steal === true;
    const shared = createSharedState(options.spec, options.data, threads);
    this.views = viewSharedState(shared);
    this.poolThreads = [];
    for (let slot = 0; slot < threads; slot++) {
      const piscina = new Piscina({
        filename: taskFile(),
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Number.MAX_SAFE_INTEGER,
        concurrentTasksPerWorker: 1,
        workerData: { shared, slot, backend: options.backend, blockRows },
      });
      this.poolThreads.push(new PoolThread(slot, piscina, spinMicros));
    }
    this.buffers = new SharedBuffers(this.poolThreads.map((t) => t.host));
    this.lanes = this.poolThreads.map((t) => new ThreadLane(this, t, this.views.slot(t.slot)));
    this.helpers = {
      count: threads,
      allocate: (length) => this.buffers.allocate(length),
      run: (helper, job) => this.runSlice(this.poolThreads[helper], job),
    };
  }

  /**
   * A helper's slice of a step's update on its thread. The trainer asks only once every
   * gradient of the step is in, so the thread has no other job.
   */
  private runSlice(thread: PoolThread, job: StepSliceJob): Promise<void> {
    const write = (args: Float64Array): number => {
      if (encodeSliceJob(job, this.buffers, args)) return JOB_SLICE;
      thread.host.send({ job });
      return JOB_SLICE_POSTED;
    };
    const local = () => {
      this.takenBack.slices++;
      runStepSlice(job, this.kernel());
    };
    return thread.run(write, () => undefined, { blockingMs: SLICE_BLOCKING_MS, local });
  }

  /** The threads' kernel backend, on this thread (for jobs it takes back). */
  kernel(): KernelBackend {
    this.here ??= { kernel: selectBackend(this.backend), workspace: null };
    return this.here.kernel;
  }

  /** A lane's shard computed on this thread, as the lane's thread computes it (same bits). */
  computeHere(task: ShardTask, grad: Float32Array): ShardStats {
    this.takenBack.shards++;
    const started = performance.now();
    const kernel = this.kernel();
    this.here!.workspace ??= createWorkspace(this.spec, this.blockRows);
    const stats = gradientSum(
      kernel,
      task.weights,
      this.views.data,
      { index: task.order, offset: task.offset, count: task.count },
      grad,
      this.here!.workspace,
    );
    return { lossSum: stats.lossSum, count: stats.count, computeMs: performance.now() - started };
  }

  /**
   * Makes the task's epoch order, and its weights unless they are in the pool's memory,
   * visible to every thread (once per version and epoch).
   */
  publish(task: ShardTask): void {
    if (task.weightsVersion !== this.publishedVersion && !this.buffers.owns(task.weights)) {
      this.views.weights.set(task.weights);
      this.publishedVersion = task.weightsVersion;
      Atomics.store(this.views.control, CONTROL_VERSION, task.weightsVersion);
    }
    if (task.order !== this.publishedOrder || task.epoch !== this.publishedEpoch) {
      this.views.order.set(task.order);
      this.publishedOrder = task.order;
      this.publishedEpoch = task.epoch;
      Atomics.store(this.views.control, CONTROL_EPOCH, task.epoch);
    }
  }

  private closing: Promise<void> | null = null;

  /** Stops every thread (after its job under way); safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.poolThreads.map((t) => t.stop())).then(() => undefined);
    return this.closing;
  }
}

class ThreadLane implements GradientSource {
  readonly label: string;
  readonly threads = 1;
  readonly backend: string;

  constructor(
    private readonly owner: LocalPool,
    private readonly thread: PoolThread,
    private readonly slotView: Float32Array,
  ) {
    this.label = `thread ${thread.slot}`;
    this.backend = owner.backend;
  }

  /** The request's shards one after the other on this lane's thread. */
  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, (task, grad) => this.computeOne(task, grad));
  }

  /**
   * One task at a time per thread (PoolThread queues them): a lane gets a second task of a
   * step when a lost worker's shards are reassigned to it, and two tasks writing the thread's
   * slot at once would mix their gradients.
   */
  private async computeOne(task: ShardTask, grad: Float32Array): Promise<ShardStats> {
    const { owner } = this;
    const inPlace = owner.buffers.owns(grad);
    const write = (args: Float64Array): number => {
      // Published in the job's turn: a queued job's weights must not overwrite a running one's.
      owner.publish(task);
      args[0] = task.weightsVersion;
      args[1] = task.epoch;
      args[2] = task.offset;
      args[3] = task.count;
      owner.buffers.ref(task.weights, args, 4);
      owner.buffers.ref(inPlace ? grad : null, args, 7);
      return JOB_GRADIENT;
    };
    const read = (args: Float64Array): ShardStats => {
      // The slot is this thread's alone and its job has finished, so reading it here is race-free.
      if (!inPlace && grad !== this.slotView) grad.set(this.slotView);
      return { lossSum: args[0], count: args[1], computeMs: args[2] };
    };
    const local = owner.steal ? () => owner.computeHere(task, grad) : undefined;
    const stats = await this.thread.run(write, read, { local });
    const bytes = owner.messageBytes;
    bytes.sent += GRADIENT_ARGS_BYTES;
    bytes.received += GRADIENT_RESULT_BYTES;
    bytes.tasks++;
    return stats;
  }

  close(): Promise<void> {
    return this.owner.close();
  }
}
