/**
 * The seam between the training loop and where gradients are computed. The coordinator's
 * trainer cuts each minibatch into shards and hands each to a GradientSource: an in-process
 * source today, a Piscina pool or a remote machine behind the same interface.
 */
import type { GradientStats } from '@gradswarm/core';

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
}

/** Something that computes Σ∇ℓ, Σℓ and the count over a shard. */
export interface GradientSource {
  /** A label for logs and reports, e.g. "local" or a worker id. */
  readonly label: string;
  /** Kernel backend it computes with (reproducible runs require one backend everywhere). */
  readonly backend: string;
  /** Threads it computes with. */
  readonly threads: number;
  /**
   * Writes Σ∇ℓ over the shard into `grad` (overwriting it) and resolves with Σℓ and the count.
   * Rejects if the computation fails; the shard is then someone else's to redo.
   */
  computeGradient(task: ShardTask, grad: Float32Array): Promise<ShardStats>;
  /**
   * Optional: computes several shards of one step at once, each gradient whole into its own
   * buffer (reproducible mode). Sources that talk over a network implement it to save round
   * trips; for the others the trainer calls computeGradient once per shard.
   */
  computeShards?(task: StepTask, shards: readonly ShardRange[], grads: readonly Float32Array[]): Promise<ShardStats[]>;
  /** Releases threads, sockets and buffers. */
  close(): Promise<void>;
}

/** What a pool thread receives per task: a few numbers, never the weights or the data. */
export interface GradientTaskMessage {
  readonly version: number;
  readonly epoch: number;
  readonly offset: number;
  readonly count: number;
}

/** What a pool thread returns; the gradient itself stays in its shared slot. */
export interface GradientTaskResult {
  readonly lossSum: number;
  readonly count: number;
  readonly computeMs: number;
}
