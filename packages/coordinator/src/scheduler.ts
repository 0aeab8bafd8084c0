/**
 * Runs one step's shards on the gradient sources. Each shard has a fixed position in the sum
 * and its own gradient buffer; which source computes it does not change where its gradient
 * goes. A source that fails recoverably (lost, late, rejected) is reported to the provider and
 * its shards are split over the sources still active, within the same step; any other error
 * fails the step. Once all shards are in, the results of untrusted sources are screened
 * (result-check.ts); a refuted sender goes the same way as a lost one.
 */
import type { GradientStats } from '@gradswarm/core';
import { proportionalShards } from '@gradswarm/data';
import type { GradientSource, ShardRange, ShardStats, StepTask } from '@gradswarm/worker';
import { checkStepResults, type ComputedBy } from './result-check.js';
import type { ResultScreen } from './result-screen.js';
import { isRecoverable, type SourceProvider } from './source-provider.js';

export interface StepPlan {
  readonly task: StepTask;
  /** Shards in summation order. */
  readonly shards: readonly ShardRange[];
  /** One gradient buffer per shard. */
  readonly grads: readonly Float32Array[];
  /** Initial assignment: for each source, the indices of the shards it computes. */
  readonly assignment: ReadonlyArray<{ readonly source: GradientSource; readonly shards: readonly number[] }>;
  /**
   * Every shard's gradient must be computed whole (reproducible mode): sources are then always
   * asked in `each` mode, even for a single shard. Otherwise a source with one shard is asked in
   * `sum` mode (a remote machine splits it over its threads) and one with several in `each`.
   */
  readonly whole: boolean;
  /**
   * Screens the results of untrusted sources before they are summed (result-check.ts): an
   * absurd one is recomputed elsewhere and, if the two disagree, its sender is dropped and its
   * shards are reassigned. Absent: results are taken as they come.
   */
  readonly screen?: ResultScreen;
  /**
   * Filled by runStep: shards whose gradient is inside another shard's buffer (a `fold` source
   * wrote the sum of its shards into its first shard's buffer). The reducer skips them.
   */
  readonly folded?: Set<number>;
}

export interface SchedulerEvents {
  /**
   * A source finished its shards: `samples` in `ms` milliseconds of wall time, of which
   * `computeMs` computing (as the source reports it; the wall time when it does not).
   */
  onMeasured?(source: GradientSource, samples: number, ms: number, computeMs: number): void;
  /** Values [from, to) of shard `shard`'s gradient are final (GradientSource's onReady). */
  onGradientReady?(shard: number, from: number, to: number): void;
  /** A source failed recoverably; its shards go to others. */
  onReassigned?(source: GradientSource, error: unknown, shards: readonly number[], to: readonly GradientSource[]): void;
}

/**
 * Contiguous groups of shard indices for the given per-source shard counts:
 * counts [2, 1] → [[0, 1], [2]].
 */
export function contiguousGroups(counts: readonly number[]): number[][] {
  let next = 0;
  return counts.map((n) => Array.from({ length: n }, () => next++));
}

/** Computes every shard of a plan; resolves with their statistics in shard order. */
export async function runStep(
  plan: StepPlan,
  provider: SourceProvider,
  events: SchedulerEvents = {},
): Promise<GradientStats[]> {
  const results: GradientStats[] = new Array(plan.shards.length);
  const computedBy: ComputedBy[] = new Array(plan.shards.length);
  /** Every shard of a fold that succeeded (its first holds the sum of them all). */
  const foldedShards = new Set<number>();

  // A source failed recoverably (or its result was refuted): drop it, split its shards over the others.
  const reassign = async (source: GradientSource, err: unknown, indices: readonly number[]): Promise<void> => {
    provider.failed(source, err);
    let others = provider.active().filter((s) => s !== source);
    while (others.length === 0) {
      await provider.waitForSource();
      others = provider.active().filter((s) => s !== source);
    }
    const counts = proportionalShards(
      indices.length,
      others.map(() => 1),
    );
    const groups = contiguousGroups(counts).map((g) => g.map((k) => indices[k]));
    events.onReassigned?.(
      source,
      err,
      indices,
      others.filter((_, j) => groups[j].length > 0),
    );
    await Promise.all(others.map((other, j) => runGroup(other, groups[j])));
  };

  const runGroup = async (source: GradientSource, indices: readonly number[]): Promise<void> => {
    if (indices.length === 0) return;
    const started = performance.now();
    try {
      let computeMs = 0;
      let reported = false;
      const note = (s: ShardStats): ShardStats => {
        if (s.computeMs !== undefined) {
          computeMs += s.computeMs;
          reported = true;
        }
        return s;
      };
      // One shard in sum mode is that shard's gradient in its own buffer: either way every
      // buffer k of the request is shard indices[k]'s. A sum is whole only from one thread.
      const mode = source.folds ? 'fold' : plan.whole || indices.length > 1 ? 'each' : 'sum';
      const onReady =
        events.onGradientReady &&
        ((k: number, from: number, to: number) => events.onGradientReady!(indices[k], from, to));
      const stats = await source.compute({
        task: plan.task,
        shards: indices.map((i) => plan.shards[i]),
        mode,
        grads: mode === 'fold' ? [plan.grads[indices[0]]] : indices.map((i) => plan.grads[i]),
        ...(onReady && mode !== 'fold' ? { onReady } : {}),
      });
      if (mode === 'fold') {
        for (const i of indices) foldedShards.add(i);
        for (const i of indices.slice(1)) plan.folded?.add(i);
      }
      indices.forEach(
        (i, k) => (
          (results[i] = note(stats[k])), (computedBy[i] = { source, whole: mode === 'each' || source.threads === 1 })
        ),
      );
      const wallMs = performance.now() - started;
      events.onMeasured?.(
        source,
        indices.reduce((sum, i) => sum + plan.shards[i].count, 0),
        wallMs,
        reported ? computeMs : wallMs,
      );
    } catch (err) {
      if (!isRecoverable(err)) throw err;
      await reassign(source, err, indices);
    }
  };

  await Promise.all(plan.assignment.map(({ source, shards }) => runGroup(source, shards)));
  // Folded shards have no per-shard gradient here to screen, only their sum (architecture §8);
  // the star-served shards of the same step are screened as always.
  if (plan.screen)
    await checkStepResults(
      { task: plan.task, shards: plan.shards, grads: plan.grads, results, computedBy, folded: foldedShards },
      { screen: plan.screen, provider, reassign },
    );
  return results;
}
