/**
 * The reduction seam (Horovod's collective layer; docs/architecture.md §4): a step's gradient total and
 * statistics from the shard results. Shard results arrive in any order; every reducer sums by
 * shard position so the total, and so the trained model, never depends on timing.
 *
 * StarReducer is the first implementation: every shard gradient reaches the coordinator and is
 * summed here in shard order. The interface also fits a reducer whose total is computed
 * elsewhere (a chain among the workers: the last worker sends the running sum): it is given the
 * buffers that reached this process and writes the total it received.
 */
import { sumGradients, type GradientStats, type KernelBackend } from '@gradswarm/core';

/** What a step hands its reducer. */
export interface ReductionInput {
  /** Global 0-based step. */
  readonly step: number;
  /** The shard gradients that reached this process, in shard order (the star: every shard's). */
  readonly grads: readonly Float32Array[];
  /** Every shard's statistics, in shard order. */
  readonly stats: readonly GradientStats[];
  /** Receives Σ of the shard gradients in shard order; it may be grads[0] (summed in place). */
  readonly total: Float32Array;
}

export interface Reducer {
  /** Short name for logs ("star"). */
  readonly name: string;
  /**
   * Writes the step's gradient total into `input.total` and resolves with the summed statistics.
   * @throws RangeError (rejects) if the buffers do not fit each other
   */
  reduce(input: ReductionInput): Promise<GradientStats>;
  /**
   * Optional: values [from, to) of shard `shard`'s gradient are final (a GradientSource's
   * onReady, forwarded by the scheduler), so a reducer may start sending them before the whole
   * step is in. Every shard is reported at least once, whole, before reduce() is called.
   */
  ready?(shard: number, from: number, to: number): void;
}

/** Sums shard statistics in shard order. */
export function reduceStats(stats: readonly GradientStats[]): GradientStats {
  let lossSum = 0;
  let count = 0;
  for (const s of stats) {
    lossSum += s.lossSum;
    count += s.count;
  }
  return { lossSum, count };
}

/** Every shard gradient comes to the coordinator and is summed here, in shard order. */
export class StarReducer implements Reducer {
  readonly name = 'star';

  /** @param backend runs the sum when it has `sumGradients` (same bits; null: TypeScript) */
  constructor(private readonly backend: KernelBackend | null = null) {}

  async reduce(input: ReductionInput): Promise<GradientStats> {
    sumGradients(input.grads, input.total, this.backend);
    return reduceStats(input.stats);
  }
}
