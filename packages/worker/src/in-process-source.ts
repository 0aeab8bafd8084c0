/**
 * A gradient source that computes on the calling thread: the single-process path and the
 * oracle the pooled and remote sources are compared with.
 */
import {
  createWorkspace,
  gradientSum,
  type BackpropWorkspace,
  type GradientStats,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { nextTurn } from './next-turn.js';
import { ReplicaRunner } from './replica-round.js';
import { computeShardByShard } from './shard-compute.js';
import type { GradientRequest, GradientSource, ShardStats, ShardTask } from './types.js';

/** Rows per backprop block: bounds workspace memory while keeping GEMMs large. */
export const DEFAULT_BLOCK_ROWS = 1024;

export interface InProcessSourceOptions {
  readonly spec: ModelSpec;
  readonly data: LabeledSamples;
  readonly backend: KernelBackend;
  /** Rows per backprop block [1024]. */
  readonly blockRows?: number;
}

export class InProcessSource implements GradientSource {
  readonly label = 'local';
  readonly threads = 1;
  readonly backend: string;
  private readonly kernel: KernelBackend;
  private readonly data: LabeledSamples;
  private readonly workspace: BackpropWorkspace;
  private readonly replicas: ReplicaRunner;

  constructor(options: InProcessSourceOptions) {
    const blockRows = options.blockRows ?? DEFAULT_BLOCK_ROWS;
    if (!Number.isInteger(blockRows) || blockRows < 1)
      throw new RangeError(`options.blockRows must be a positive integer, got ${blockRows}`);
    this.kernel = options.backend;
    this.backend = options.backend.name;
    this.data = options.data;
    this.workspace = createWorkspace(options.spec, blockRows);
    this.replicas = new ReplicaRunner(options.spec, options.data, options.backend, blockRows);
  }

  /** Computes the request's shards one after the other on this thread. */
  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, (task, grad) => this.computeOne(task, grad));
  }

  /**
   * Computes now, on this thread, and settles on the event loop's next turn: a run whose only
   * source is this one would otherwise chain already-settled promises from step to step and
   * never let the loop handle a signal (Ctrl-C), a timer or a socket.
   */
  private computeOne(task: ShardTask, grad: Float32Array): Promise<GradientStats> {
    return new Promise((resolve, reject) => {
      try {
        const stats = task.local
          ? this.replicas.run(task.weights, task.order, task.local, task.offset, grad)
          : gradientSum(
              this.kernel,
              task.weights,
              this.data,
              { index: task.order, offset: task.offset, count: task.count },
              grad,
              this.workspace,
            );
        nextTurn(resolve, stats);
      } catch (err) {
        nextTurn(reject, err);
      }
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
