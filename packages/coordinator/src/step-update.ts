/**
 * Steps 3-5 of a training step (trainer.ts): the reduction of the shard gradients, the
 * regularisation and scaling (core's finishGradient) and one optimizer step. Alone this thread
 * does all three in turn; with a local pool's threads as helpers (SliceHelpers) each thread
 * takes one slice of the parameters (core's step-slices.ts) and does all three on it, with the
 * same bits: every element's arithmetic and the shard order are unchanged, and the penalty's
 * sum over all weights is taken whole on this thread, in finishGradient's order.
 */
import {
  costFromPenaltySums,
  costScale,
  ErrorCode,
  finishGradient,
  GradswarmError,
  penaltySums,
  runStepSlice,
  stepSlices,
  type CostOptions,
  type GradientStats,
  type KernelBackend,
  type Optimizer,
  type OptimizerStepPlan,
  type StepSlice,
  type StepSliceJob,
} from '@gradswarm/core';
import type { SliceHelpers } from '@gradswarm/worker';
import { reduceStats, StarReducer, type Reducer } from './reducer.js';

export interface UpdateInput {
  readonly step: number;
  /** The shard gradients in shard order; grads[0] is `total`. */
  readonly grads: readonly Float32Array[];
  readonly stats: readonly GradientStats[];
  readonly total: Float32Array;
  readonly params: Float32Array;
  /** The batch's sample count (m). */
  readonly count: number;
  readonly learningRate: number;
  /** For the message when the step diverges: the 0-based epoch and the run's --lr. */
  readonly epoch: number;
  readonly optionLearningRate: number;
  /**
   * Only reduce and finish (a full-batch evaluation of J and ∇J into `total`), no optimizer
   * step; a non-finite J is then returned, not thrown (a line search's trial point too far out).
   */
  readonly finishOnly?: boolean;
}

/** A non-finite Σℓ or J, thrown before any weight changes (a diverged step leaves them as they were). */
function diverged(value: number, input: UpdateInput): GradswarmError {
  return new GradswarmError(
    ErrorCode.NON_FINITE,
    `the cost became ${value} at epoch ${input.epoch + 1} - help: lower --lr (now ${input.optionLearningRate}) or check the data for extreme values`,
  );
}

export class StepUpdate {
  private readonly slices: readonly StepSlice[];

  /**
   * @param helpers threads that take a slice each next to this one; null: this thread alone.
   *   With helpers, every buffer the update touches (params, the gradients, the optimizer's
   *   state) must come from helpers.allocate.
   */
  constructor(
    private readonly layers: readonly number[],
    private readonly cost: CostOptions,
    private readonly optimizer: Optimizer,
    private readonly reducer: Reducer,
    private readonly backend: KernelBackend | null,
    private readonly helpers: SliceHelpers | null,
  ) {
    this.slices = helpers ? stepSlices(layers, helpers.count + 1) : [];
  }

  /** Reduces, finishes and steps; resolves with the batch's cost J. */
  async apply(input: UpdateInput): Promise<number> {
    if (input.finishOnly) return this.finish(input);
    if (!this.helpers) return this.serial(input);
    // The star's sum is folded into the slices; another reducer delivers the total itself.
    const star = this.reducer instanceof StarReducer;
    const total = star
      ? reduceStats(input.stats)
      : await this.reducer.reduce({ step: input.step, grads: input.grads, stats: input.stats, total: input.total });
    if (!Number.isFinite(total.lossSum)) throw diverged(total.lossSum, input);
    const parts = star ? input.grads : null;
    const scale = costScale(this.cost, input.count);
    // J before any slice runs, its penalty whole in finishGradient's order: a non-finite J
    // leaves the weights as they were, and each slice then finishes and steps in one go.
    const [squares, absolutes] = penaltySums(this.layers, input.params, this.cost.l1, this.cost.l2);
    const cost = costFromPenaltySums(total.lossSum, squares, absolutes, this.cost, scale);
    if (!Number.isFinite(cost)) throw diverged(cost, input);
    await this.runSlices(input, parts, this.optimizer.planStep(input.learningRate));
    return cost;
  }

  /** Reduces and finishes on this thread (the same arithmetic as serial(), without the step). */
  private async finish(input: UpdateInput): Promise<number> {
    const { step, grads, stats, total } = input;
    const sum = await this.reducer.reduce({ step, grads, stats, total });
    if (!Number.isFinite(sum.lossSum)) return sum.lossSum;
    return finishGradient(this.layers, input.params, total, sum.lossSum, input.count, this.cost, this.backend);
  }

  private async serial(input: UpdateInput): Promise<number> {
    const total = await this.reducer.reduce({
      step: input.step,
      grads: input.grads,
      stats: input.stats,
      total: input.total,
    });
    // Checked before the step: it changes the weights in place, and a diverged step must leave them as they were.
    if (!Number.isFinite(total.lossSum)) throw diverged(total.lossSum, input);
    const cost = finishGradient(
      this.layers,
      input.params,
      input.total,
      total.lossSum,
      input.count,
      this.cost,
      this.backend,
    );
    if (!Number.isFinite(cost)) throw diverged(cost, input);
    this.optimizer.step(input.params, input.total, input.learningRate);
    return cost;
  }

  /** The helpers' slices posted first, then this thread's (the last), then the helpers awaited. */
  private async runSlices(
    input: UpdateInput,
    parts: readonly Float32Array[] | null,
    plan: OptimizerStepPlan,
  ): Promise<void> {
    const helpers = this.helpers!;
    const job = (slice: StepSlice): StepSliceJob => ({
      slice,
      layers: this.layers,
      parts,
      total: input.total,
      params: input.params,
      finish: true,
      l1: this.cost.l1,
      l2: this.cost.l2,
      scale: costScale(this.cost, input.count),
      plan,
      buffers: this.optimizer.buffers,
    });
    const running = this.slices
      .slice(0, helpers.count)
      .map((slice, h) => (slice.to > slice.from ? helpers.run(h, job(slice)) : Promise.resolve()));
    let here: { readonly error: unknown } | null = null;
    try {
      runStepSlice(job(this.slices[helpers.count]), this.backend);
    } catch (error) {
      here = { error };
    }
    // Every helper done before returning, even when this thread's slice failed.
    const settled = await Promise.allSettled(running);
    if (here) throw here.error;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
