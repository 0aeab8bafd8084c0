/**
 * One round of local SGD / DiLoCo (architecture §10), the trainer's step when `syncEvery` or
 * `replicas` is set. The round's H minibatches are planned once (core's LocalRoundPlan: their runs
 * of the epoch's order and the schedule's learning rate at each inner step); R replicas, each a
 * shard of the scheduler (offset: its index), are spread over the active sources in contiguous
 * groups, so a worker hosts several in replica order and a lost one's replicas are recomputed by
 * the others from the same start weights (scheduler.ts). The replicas' changes are summed in
 * replica order by the reducer and the outer optimizer steps on their mean. Rounds ride the star:
 * one step message per source per round, so the link carries the weights and R changes per H steps.
 * A round is H consecutive minibatches of the run's plan (roundSteps): it goes on across an
 * epoch's end into the next epoch's order, as the synchronous run would, and stops only at the
 * run's last epoch or --steps.
 */
import {
  ErrorCode,
  GradswarmError,
  outerStep,
  replicaSampleCount,
  type CostOptions,
  type GradientStats,
  type LocalRoundPlan,
  type RoundStep,
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
  /** The round's minibatches (H of the run's plan, fewer at its end), each with its epoch. */
  readonly batches: readonly (Bounds & { readonly epoch: number })[];
  /** The inner learning rate of each of them. */
  readonly learningRates: readonly number[];
  /** The trainer's step at the round's start: the weights version the replicas start from. */
  readonly step: number;
  /** Epoch and minibatch of the round's first step. */
  readonly epoch: number;
  readonly batch: number;
  /** The order of the round's first epoch. */
  readonly order: Uint32Array;
  /** The run's shuffle: how a source derives a later epoch's order. */
  readonly seed: number;
  readonly shuffle: boolean;
  readonly params: Float32Array;
  /** One buffer per replica; the first receives the sum of the changes. */
  readonly grads: readonly Float32Array[];
  /** The round ends the run's plan: its workers may take a cut link after answering it as the run's end. */
  readonly final?: boolean;
}

export interface LocalRoundContext {
  readonly provider: SourceProvider;
  readonly reducer: Reducer;
  readonly outer: SgdOptimizer;
}

/** A minibatch of the run's plan. */
export interface PlanPosition {
  readonly epoch: number;
  readonly batch: number;
}

/**
 * The minibatches of the round that starts at `from` (the trainer's position, `step` steps taken):
 * H of them in the run's order, across epoch ends, fewer only at the end of the last epoch or
 * at `maxSteps`. The bench replays this plan to read a metrics file's rounds.
 */
export function roundSteps(
  from: PlanPosition & { readonly step: number },
  syncEvery: number,
  batchesPerEpoch: number,
  epochs: number,
  maxSteps = Number.POSITIVE_INFINITY,
): PlanPosition[] {
  const steps: PlanPosition[] = [];
  let { epoch, batch } = from;
  while (steps.length < syncEvery && epoch < epochs && from.step + steps.length < maxSteps) {
    steps.push({ epoch, batch });
    if (++batch === batchesPerEpoch) {
      epoch++;
      batch = 0;
    }
  }
  return steps;
}

/** The round's plan as it travels to the sources. */
export function localRoundPlan(input: LocalRoundInput): LocalRoundPlan {
  const crosses = input.batches.some((b) => b.epoch !== input.epoch);
  const steps = input.batches.map(
    (b): RoundStep => ({ offset: b.start, count: b.count, ...(b.epoch === input.epoch ? {} : { epoch: b.epoch }) }),
  );
  return {
    replicas: input.local.replicas,
    steps,
    learningRates: input.learningRates,
    momentum: input.momentum,
    nesterov: input.nesterov,
    cost: input.cost,
    ...(crosses ? { orders: { epoch: input.epoch, seed: input.seed, shuffle: input.shuffle } } : {}),
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
        ...(input.final ? { final: true } : {}),
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
