/**
 * The trainer's loop for the full-batch optimizers (core's fullbatch/: cg, lbfgs, tnc). Every
 * evaluation of J and ∇J is one distributed step over the whole training set (trainer.ts's
 * evaluate: the same shards, sources, screening and shard-order sum as a minibatch step, so
 * reproducible mode is bit-identical for any W), with its own weights version on the wire. The
 * run's events see one step and one epoch per iteration: J after it, its step length α as the
 * "learning rate", the evaluations so far; an epoch's evaluation and early stopping work as
 * with minibatches. The optimizer works in float64 and the sources see its point in float32.
 */
import {
  createMinimizer,
  type FullBatchMinimizer,
  type FullBatchSnapshot,
  isFullBatchOptimizer,
  normInf,
  type MinimizerStatus,
} from '@gradswarm/core';
import type { ResolvedTrainingOptions } from './training-options.js';

/** How a full-batch run ended (scipy's message, with its counters). */
export interface FullBatchOutcome {
  /** converged (‖∇J‖∞ ≤ gtol), stalled (no acceptable step), or a limit reached. */
  readonly reason: Exclude<MinimizerStatus, 'running'> | 'max-iterations' | 'max-evaluations' | 'stopped';
  readonly iterations: number;
  readonly evaluations: number;
  /** ‖∇J‖∞ at the final point. */
  readonly gradientNorm: number;
}

/** What one evaluation reports besides J. */
export interface EvaluationReport {
  readonly cost: number;
  readonly participants: readonly string[];
  readonly computeMs: readonly number[];
  readonly reduceUpdateMs: number;
}

/** One iteration, as the trainer turns it into its step and epoch events. */
export interface IterationReport {
  /** 0-based. */
  readonly iteration: number;
  /** J after the iteration. */
  readonly cost: number;
  /** The line search's α. */
  readonly stepLength: number;
  /** Evaluations so far, and in this iteration (the first iteration's include the starting point's). */
  readonly evaluations: number;
  readonly evaluationsInIteration: number;
  /** The last evaluation's sources, in shard order. */
  readonly participants: readonly string[];
  readonly timing: { readonly totalMs: number; readonly computeMs: readonly number[]; readonly reduceUpdateMs: number };
}

/** Called around each iteration; the host's position has advanced past it before onStep. */
export interface FullBatchLoopHooks {
  onStepStart(step: number): void;
  onStep(report: IterationReport): Promise<void>;
  /** After onStep, with the epoch (= iteration) counted. */
  onEpoch(report: IterationReport): Promise<void>;
}

/** The trainer's side of the loop. */
export interface FullBatchHost {
  readonly options: ResolvedTrainingOptions;
  readonly params: Float32Array;
  /** The finished ∇J of the last evaluation. */
  readonly grad: Float32Array;
  readonly sampleCount: number;
  readonly position: {
    epoch: number;
    batch: number;
    step: number;
    samplesSeen: number;
    trainingMs: number;
    lastCost: number;
  };
  /** J and ∇J (into grad) at params over the whole training set, as one step with this weights version. */
  evaluate(weightsVersion: number): Promise<EvaluationReport>;
  /** A checkpoint's minimizer state to continue from (instead of the start at params). */
  readonly resume?: FullBatchSnapshot;
  /** Gets the minimizer once made (the trainer's state() snapshots it for checkpoints). */
  adopt(minimizer: FullBatchMinimizer): void;
  /** stop() or endAfterEpoch() was called. */
  stopping(): { stop: boolean; end: boolean };
}

/** A sentence for the log, as scipy's fmin_cg prints at the end. */
export function outcomeText(name: string, outcome: FullBatchOutcome, cost: number): string {
  const why = {
    converged: 'converged (the gradient is within gtol)',
    stalled: 'stopped: no step along the search direction lowered the cost enough (precision loss)',
    'max-iterations': 'stopped: the maximum number of iterations was reached',
    'max-evaluations': 'stopped: the maximum number of evaluations was reached',
    stopped: 'stopped early',
  }[outcome.reason];
  return `${name}: ${why}; cost ${cost.toFixed(6)}, ${outcome.iterations} iterations, ${outcome.evaluations} evaluations of the cost and gradient, |gradient|max ${outcome.gradientNorm.toExponential(2)}`;
}

/**
 * Runs a full-batch optimizer from the host's params to the end; the params then hold its
 * point and the position its counters.
 */
export async function runFullBatch(
  host: FullBatchHost,
  hooks: FullBatchLoopHooks,
): Promise<{ readonly outcome: FullBatchOutcome; readonly cost: number }> {
  const o = host.options;
  const settings = o.fullBatch!;
  if (!isFullBatchOptimizer(o.optimizer)) throw new RangeError(`${o.optimizer} is not a full-batch optimizer`);
  const pos = host.position;
  let version = 0;
  let iteration = { participants: [] as string[], computeMs: [] as number[], reduceUpdateMs: 0, evaluations: 0 };
  const objective = async (x: Float64Array, grad: Float64Array): Promise<number> => {
    host.params.set(x);
    const report = await host.evaluate(version++);
    for (let i = 0; i < grad.length; i++) grad[i] = host.grad[i];
    iteration.participants = [...report.participants];
    iteration.computeMs.push(...report.computeMs);
    iteration.reduceUpdateMs += report.reduceUpdateMs;
    iteration.evaluations++;
    pos.samplesSeen += host.sampleCount;
    return report.cost;
  };
  const minimizer = createMinimizer(o.optimizer, objective, Float64Array.from(host.params), settings);
  host.adopt(minimizer);
  let first = true;
  if (host.resume) {
    // Between two iterations, as the checkpoint was written: the weights versions go on from its evaluations.
    minimizer.restore(host.resume);
    host.params.set(minimizer.x);
    version = minimizer.evaluations;
    first = false;
  }
  if (host.resume && pos.epoch < pos.step) {
    // Written in onStep, before that iteration's epoch ended: end it first, as the uninterrupted run did.
    pos.epoch++;
    await hooks.onEpoch({
      iteration: pos.step - 1,
      cost: minimizer.cost,
      stepLength: minimizer.stepLength,
      evaluations: minimizer.evaluations,
      evaluationsInIteration: 0,
      participants: [],
      timing: { totalMs: 0, computeMs: [], reduceUpdateMs: 0 },
    });
  }
  let reason: FullBatchOutcome['reason'] | null = null;
  while (reason === null) {
    const { stop, end } = host.stopping();
    if (stop || end) reason = 'stopped';
    else if (pos.step >= settings.maxIterations) reason = 'max-iterations';
    else if (settings.maxEvaluations !== undefined && minimizer.evaluations >= settings.maxEvaluations)
      reason = 'max-evaluations';
    if (reason !== null) break;
    hooks.onStepStart(pos.step);
    const started = performance.now();
    // The starting point's evaluation counts to the first iteration's time and samples.
    if (first) await minimizer.start();
    first = false;
    const status = minimizer.status === 'running' ? await minimizer.iterate(settings.maxEvaluations) : minimizer.status;
    host.params.set(minimizer.x);
    const totalMs = performance.now() - started;
    pos.trainingMs += totalMs;
    if (status !== 'running') reason = status;
    if (minimizer.iterations === pos.step) break; // no step taken (converged at the start, or stalled)
    pos.lastCost = minimizer.cost;
    const report: IterationReport = {
      iteration: pos.step,
      cost: minimizer.cost,
      stepLength: minimizer.stepLength,
      evaluations: minimizer.evaluations,
      evaluationsInIteration: iteration.evaluations,
      participants: iteration.participants,
      timing: { totalMs, computeMs: iteration.computeMs, reduceUpdateMs: iteration.reduceUpdateMs },
    };
    iteration = { participants: [], computeMs: [], reduceUpdateMs: 0, evaluations: 0 };
    pos.step++;
    await hooks.onStep(report);
    pos.epoch++;
    await hooks.onEpoch(report);
  }
  if (Number.isNaN(pos.lastCost)) pos.lastCost = minimizer.cost;
  const outcome: FullBatchOutcome = {
    reason: reason ?? 'stopped',
    iterations: minimizer.iterations,
    evaluations: minimizer.evaluations,
    gradientNorm: normInf(minimizer.gradient),
  };
  return { outcome, cost: minimizer.cost };
}
