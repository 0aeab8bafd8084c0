/**
 * The seam between the training loop and where gradients are computed. The coordinator's
 * trainer cuts each minibatch into shards and hands them to GradientSources: this thread, a
 * Piscina pool's lanes or a remote machine behind the same one method, `compute`, whose mode
 * says whether each shard comes back whole or all are summed.
 */
import type { GradientStats, LocalRoundPlan, StepSliceJob } from '@gradswarm/core';

/** A shard's statistics, plus the time the source spent computing it when it knows. */
export interface ShardStats extends GradientStats {
  /** Milliseconds of computation (excluding queueing and transfer), if measured. */
  readonly computeMs?: number;
}

/** A run of the epoch's order: positions [offset, offset + count). */
export interface ShardRange {
  readonly offset: number;
  readonly count: number;
}

/** The part of a shard task that is the same for every shard of a step. */
export type StepTask = Omit<ShardTask, 'offset' | 'count'>;

/** One shard of one minibatch at one weights version. */
export interface ShardTask {
  /** Version k of the weights; increases by one per optimizer step. */
  readonly weightsVersion: number;
  /** The weights at that version (flat, row-major per layer). */
  readonly weights: Float32Array;
  /** 0-based epoch; a remote worker derives the epoch's sample order from it and the seed. */
  readonly epoch: number;
  /** Minibatch index within the epoch (for logs and the wire). */
  readonly batch: number;
  /** The epoch's sample order (a permutation of the training rows). */
  readonly order: Uint32Array;
  /** First position of the shard inside `order`. */
  readonly offset: number;
  /** Number of samples in the shard. */
  readonly count: number;
  /** The run's planned last step (a remote worker answering it may take a cut link as the end). */
  readonly final?: boolean;
  /**
   * Present: a local-SGD round (architecture §10). Each shard is then a replica: `offset` is its
   * index r, `count` the samples it takes over the round (core's replicaSampleCount), and its
   * "gradient" buffer receives the replica's weight change start − end (core's replicaRound).
   */
  readonly local?: LocalRoundPlan;
}

/**
 * How a request's shards come back:
 *   each  every shard's gradient whole, into its own buffer, computed as one thread computes it
 *         alone (reproducible mode, and a source given several shards: the coordinator sums them
 *         in shard order);
 *   sum   one gradient, the sum over all the shards in shard order; a source may split each shard
 *         over its threads and pre-sum them (default mode: fewer bytes on the wire).
 *   fold  one gradient: the shards' whole gradients added one after the other in shard order,
 *         exactly the bits of `each` followed by that sum, with statistics per shard. Only a
 *         source with `folds` takes it: a chain of machines, which sums on the way (architecture §8).
 */
export type GradientMode = 'each' | 'sum' | 'fold';

/**
 * Told that values [from, to) of gradient buffer `buffer` of a request are final and will not
 * change again. Every source calls it at least once per buffer, for its whole length, before the
 * request resolves; a source that computes in row blocks may report each block as it finishes,
 * so a reducer can start on them while backprop goes on (PyTorch DDP's mark_variable_ready).
 */
export type GradientReadyCallback = (buffer: number, from: number, to: number) => void;

/** One call's worth of work for a source: shards of one step at one weights version. */
export interface GradientRequest {
  readonly task: StepTask;
  /** The shards, in summation order. */
  readonly shards: readonly ShardRange[];
  readonly mode: GradientMode;
  /** Where the gradients go (overwritten): one buffer per shard for `each`, one for `sum`. */
  readonly grads: readonly Float32Array[];
  /** Optional: called as ranges of `grads` become final (see GradientReadyCallback). */
  readonly onReady?: GradientReadyCallback;
}

/** Something that computes Σ∇ℓ, Σℓ and the count over shards. */
export interface GradientSource {
  /** A label for logs and reports, e.g. "local" or a worker id. */
  readonly label: string;
  /** Kernel backend it computes with (reproducible runs require one backend everywhere). */
  readonly backend: string;
  /** Threads it computes with. */
  readonly threads: number;
  /** Whether it takes `fold` requests (a chain of machines); absent: it does not. */
  readonly folds?: boolean;
  /**
   * Computes a request's gradients into its buffers and resolves with the statistics: one per
   * shard for `each`, one (the sums) for `sum`. Rejects if the computation fails; the shards are
   * then someone else's to redo.
   * @throws RangeError (rejects) if the number of buffers does not fit the mode
   */
  compute(request: GradientRequest): Promise<ShardStats[]>;
  /** Releases threads, sockets and buffers. */
  close(): Promise<void>;
}

/** What a pool thread receives per task: a few numbers, never the weights or the data. */
export interface GradientTaskMessage {
  readonly version: number;
  readonly epoch: number;
  readonly offset: number;
  readonly count: number;
  /** Report the gradient's progress in the slot's control word as blocks of it are final. */
  readonly stream?: boolean;
}

/** What a pool thread receives for one replica of a local round (replica-round.ts). */
export interface ReplicaTaskMessage {
  readonly kind: 'replica';
  readonly version: number;
  readonly epoch: number;
  readonly replica: number;
  readonly plan: LocalRoundPlan;
}

/** What a pool thread returns; the gradient itself stays in its shared slot. */
export interface GradientTaskResult {
  readonly lossSum: number;
  readonly count: number;
  readonly computeMs: number;
}

/**
 * Threads that take slices of a step's reduction and update (core's step-slices.ts) next to the
 * calling thread: a local pool's. The buffers a slice touches must come from `allocate` (shared
 * memory), so every thread sees the same values.
 */
export interface SliceHelpers {
  /** Threads that can take a slice. */
  readonly count: number;
  /** A zeroed Float32Array every helper thread can read and write. */
  allocate(length: number): Float32Array;
  /** Runs `job` on helper `helper` (0 ≤ helper < count); rejects if the thread fails. */
  run(helper: number, job: StepSliceJob): Promise<void>;
}

/** What a pool thread receives to run a slice of a step's update. */
export interface SliceTaskMessage {
  readonly kind: 'slice';
  readonly job: StepSliceJob;
}
