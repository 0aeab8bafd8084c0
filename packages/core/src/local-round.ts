/**
 * One replica's part of a local-SGD round (DiLoCo, Douillard et al. 2023; architecture §10): from
 * the round's start weights, H inner steps of momentum SGD, each on the replica's share of one
 * minibatch, then the weight change start − end. The inner momentum starts at zero every round,
 * so a replica depends only on the start weights and the round's plan: any machine can
 * (re)compute it, bit for bit, from those alone (a lost worker's replicas are recomputed so).
 * A round may cross epoch ends: its later steps are runs of a later epoch's order, which the
 * source derives from the plan's `orders` (the seed), as the trainer does.
 */
import { createWorkspace, gradientSum, type BackpropWorkspace } from './backprop.js';
import { finishGradient } from './cost.js';
import type { KernelBackend } from './kernel-backend.js';
import { SgdOptimizer } from './optimizers/sgd.js';
import type { CostOptions, GradientStats, LabeledSamples, ModelSpec } from './types.js';

/** A run of the epoch's sample order: positions [offset, offset + count). */
export interface OrderRange {
  readonly offset: number;
  readonly count: number;
}

/** One inner step of a round: a minibatch as a run of its epoch's order. */
export interface RoundStep extends OrderRange {
  /** The epoch whose order the run is of, when the round crossed an epoch's end before it; absent: the round's first epoch. */
  readonly epoch?: number;
}

/** How a source derives the order of a later epoch (the trainer's: seeded per epoch, or none). */
export interface RoundOrders {
  /** The round's first epoch: the order the source is given. */
  readonly epoch: number;
  readonly seed: number;
  readonly shuffle: boolean;
}

/** The plan of one round, the same for every replica (it travels in `step.local`). */
export interface LocalRoundPlan {
  /** R: the round's replicas; replica r takes share r of every minibatch. */
  readonly replicas: number;
  /** The round's H minibatches, as runs of their epoch's order. */
  readonly steps: readonly RoundStep[];
  /** Present when a step is of a later epoch than the first (`steps[i].epoch`). */
  readonly orders?: RoundOrders;
  /** The inner learning rate of each of the H steps (the run's schedule at that global step). */
  readonly learningRates: readonly number[];
  /** Inner SGD momentum α in [0, 1) and whether it is Nesterov's. */
  readonly momentum: number;
  readonly nesterov: boolean;
  /** Regularisation and reduction of the inner steps' cost. */
  readonly cost: CostOptions;
}

/**
 * Share `replica` of a minibatch: numpy's array_split of it into `replicas` contiguous parts
 * (the first count mod R parts one sample longer), as virtual shards are cut.
 */
export function replicaShare(step: OrderRange, replicas: number, replica: number): OrderRange {
  const base = Math.floor(step.count / replicas);
  const extra = step.count % replicas;
  const offset = step.offset + replica * base + Math.min(replica, extra);
  return { offset, count: replica < extra ? base + 1 : base };
}

/** Samples replica `replica` computes over the whole round. */
export function replicaSampleCount(plan: LocalRoundPlan, replica: number): number {
  return plan.steps.reduce((sum, s) => sum + replicaShare(s, plan.replicas, replica).count, 0);
}

/** Buffers a replica round works in (P floats each), reused from round to round. */
export interface ReplicaScratch {
  readonly params: Float32Array;
  readonly grad: Float32Array;
  readonly velocity: Float32Array;
  readonly workspace: BackpropWorkspace;
}

export function createReplicaScratch(spec: ModelSpec, parameterCount: number, blockRows: number): ReplicaScratch {
  return {
    params: new Float32Array(parameterCount),
    grad: new Float32Array(parameterCount),
    velocity: new Float32Array(parameterCount),
    workspace: createWorkspace(spec, blockRows),
  };
}

/**
 * Replica `replica`'s round: H inner steps from `start`, each the step a one-source trainer takes
 * on that share (gradientSum, finishGradient over the share's samples, one SGD step), then
 * `delta` = start − end. Resolves Σℓ and the samples over the round (Σℓ at each inner step's
 * weights). A share with no samples (a minibatch shorter than R) takes no step.
 * @param backend computes the gradients, and the finish and SGD update (the same bits as TypeScript)
 * @param order the order of the round's first epoch
 * @param laterOrder the order of a later epoch, for the steps that carry one
 * @throws RangeError if a step is of a later epoch and no laterOrder is given
 */
export function replicaRound(
  backend: KernelBackend,
  layers: readonly number[],
  start: Float32Array,
  data: LabeledSamples,
  order: Uint32Array,
  plan: LocalRoundPlan,
  replica: number,
  delta: Float32Array,
  scratch: ReplicaScratch,
  laterOrder?: (epoch: number) => Uint32Array,
): GradientStats {
  const { params, grad, velocity, workspace } = scratch;
  params.set(start);
  velocity.fill(0);
  const sgd = new SgdOptimizer(
    params.length,
    { momentum: plan.momentum, nesterov: plan.nesterov },
    backend,
    () => velocity,
  );
  const orderOf = (epoch: number): Uint32Array => {
    if (!laterOrder) throw new RangeError(`step of epoch ${epoch} in a round given no order but its first epoch's`);
    return laterOrder(epoch);
  };
  let lossSum = 0;
  let count = 0;
  plan.steps.forEach((step, h) => {
    const share = replicaShare(step, plan.replicas, replica);
    if (share.count === 0) return;
    const index = step.epoch === undefined || step.epoch === plan.orders?.epoch ? order : orderOf(step.epoch);
    const stats = gradientSum(backend, params, data, { index, ...share }, grad, workspace);
    finishGradient(layers, params, grad, stats.lossSum, share.count, plan.cost, backend);
    sgd.step(params, grad, plan.learningRates[h]);
    lossSum += stats.lossSum;
    count += stats.count;
  });
  for (let i = 0; i < delta.length; i++) delta[i] = start[i] - params[i];
  return { lossSum, count };
}
