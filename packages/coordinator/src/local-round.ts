/**
 * One round of local SGD / DiLoCo (architecture §10), the trainer's step when `syncEvery` or
 * `replicas` is set. The round's H minibatches are planned once (core's LocalRoundPlan: their runs
 * of the epoch's order and the schedule's learning rate at each inner step); R replicas, each a
 * shard of the scheduler (offset: its index), are spread over the active sources in contiguous
 * groups, so a worker hosts several in replica order and a lost one's replicas are recomputed by
 * the others from the same start weights (scheduler.ts). The replicas' changes are summed in
 * replica order by the reducer and the outer optimizer steps on their mean. Rounds ride the star:
 * one step message per source per round, so the link carries the weights and R changes per H steps.
 */
import {
  ErrorCode,
  GradswarmError,
  outerStep,
  replicaSampleCount,
  type CostOptions,
  type GradientStats,
  type LocalRoundPlan,
  type SgdOptimizer,
} from '@gradswarm/core';
import { proportionalShards, type Bounds } from '@gradswarm/data';
import type { GradientSource, ShardRange } from '@gradswarm/worker';
import type { ResolvedLocalSgd } from './local-sgd-options.js';
import type { Reducer } from './reducer.js';
import { contiguousGroups, runStep, type SchedulerEvents } from './scheduler.js';
import type { SourceProvider } from './source-provider.js';

export interface LocalRoundInput {
  readonly local: ResolvedLocalSgd;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly cost: CostOptions;
  /** The round's minibatches (H of the epoch's plan, fewer at the epoch's end). */
  readonly batches: readonly Bounds[];
  /** The inner learning rate of each of them. */
  readonly learningRates: readonly number[];
  /** The trainer's step at the round's start: the weights version the replicas start from. */
  readonly step: number;
  readonly epoch: number;
  readonly batch: number;
  readonly order: Uint32Array;
  readonly params: Float32Array;
  /** One buffer per replica; the first receives the sum of the changes. */
  readonly grads: readonly Float32Array[];
}

export interface LocalRoundContext {
  readonly provider: SourceProvider;
  readonly reducer: Reducer;
  readonly outer: SgdOptimizer;
}

/** The round's plan as it travels to the sources. */
export function localRoundPlan(input: LocalRoundInput): LocalRoundPlan {
  return {
    replicas: input.local.replicas,
    steps: input.batches.map((b) => ({ offset: b.start, count: b.count })),
    learningRates: input.learningRates,
    momentum: input.momentum,
    nesterov: input.nesterov,
    cost: input.cost,
  };
}

/** The replicas as shards (offset: the replica's index), those with no sample left out: their change is zero. */
export function replicaShards(plan: LocalRoundPlan): ShardRange[] {
  const shards: ShardRange[] = [];
  for (let r = 0; r < plan.replicas; r++) {
    const count = replicaSampleCount(plan, r);
    if (count > 0) shards.push({ offset: r, count });
  }
  return shards;
}

/** Runs the round and takes the outer step on `params`; resolves with the round's mean inner cost. */
export async function runLocalRound(
  input: LocalRoundInput,
  sources: readonly GradientSource[],
  ctx: LocalRoundContext,
  events: SchedulerEvents,
): Promise<{ cost: number; participants: string[]; reduceUpdateMs: number }> {
  const plan = localRoundPlan(input);
  const shards = replicaShards(plan);
  const groups = contiguousGroups(
    proportionalShards(
      shards.length,
      sources.map(() => 1),
    ),
  );
  const participants: string[] = new Array(shards.length);
  groups.forEach((g, s) => g.forEach((i) => (participants[i] = sources[s].label)));
  const grads = input.grads.slice(0, shards.length);
  const stats: GradientStats[] = await runStep(
    {
      task: {
        weightsVersion: input.step,
        weights: input.params,
        epoch: input.epoch,
        batch: input.batch,
        order: input.order,
        local: plan,
      },
      shards,
      grads,
      assignment: sources.map((source, s) => ({ source, shards: groups[s] })),
      whole: true,
    },
    ctx.provider,
    {
      ...events,
      onReassigned: (source, error, indices, to) => {
        for (const i of indices) participants[i] = `${participants[i]}→${to.map((t) => t.label).join('+')}`;
        events.onReassigned?.(source, error, indices, to);
      },
    },
  );
  const reduceStarted = performance.now();
  const total = await ctx.reducer.reduce({ step: input.step, grads, stats, total: grads[0] });
  const cost = input.cost.reduction === 'mean' ? total.lossSum / total.count : total.lossSum / input.batches.length;
  if (!Number.isFinite(cost)) {
    throw new GradswarmError(
      ErrorCode.NON_FINITE,
      `the cost became ${cost} in the local round at epoch ${input.epoch + 1} - help: lower --lr or --outer-lr`,
    );
  }
  outerStep(ctx.outer, input.params, grads[0], plan.replicas, input.local.outerLearningRate);
  return { cost, participants, reduceUpdateMs: performance.now() - reduceStarted };
}
