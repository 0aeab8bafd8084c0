/**
 * What a finished (or interrupted) run reports: the summary object (the `--json` line and the
 * metrics file's `summary`) and the two summary lines on stdout.
 */
import type { ModelSpec } from '@gradswarm/core';
import { describeFinalCost, type FinalCost } from './final-cost.js';

/** Train and test figures of the final weights. */
export interface FinalEvaluation {
  readonly train: number;
  readonly test: number | null;
  readonly testCost: number | null;
}

/** The `--json` summary. `finalCost` is the last epoch's mean (`finalCostEpoch`, 1-based). */
export interface RunSummary {
  readonly trainAccuracy: number;
  readonly testAccuracy: number | null;
  readonly finalCost: number;
  readonly finalCostEpoch: number;
  readonly testCost: number | null;
  readonly epochs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly backend: string;
  readonly threads: number;
  readonly workers: number;
  readonly reproducible: number | null;
  readonly postMessageBytesPerStep: number;
  readonly layers: readonly number[];
  readonly interrupted: boolean;
  /** Full-batch optimizers: the optimizer, its iterations and its evaluations of J and ∇J. */
  readonly fullBatch?: { readonly optimizer: string; readonly iterations: number; readonly evaluations: number };
}

export interface SummaryInput {
  readonly result: {
    readonly epochsCompleted: number;
    readonly steps: number;
    readonly samplesSeen: number;
    readonly trainingMs: number;
    readonly interrupted: boolean;
  };
  readonly evaluation: FinalEvaluation;
  readonly cost: FinalCost;
  readonly spec: ModelSpec;
  readonly backend: string;
  readonly threads: number;
  readonly workers: number;
  readonly reproducible: number | null;
  /** Bytes posted to and from pool threads, if there is a pool. */
  readonly poolBytes?: { readonly sent: number; readonly received: number };
  readonly fullBatch?: RunSummary['fullBatch'];
}

/** Builds the summary, field order as the `--json` line has always had it (new fields after finalCost). */
export function buildRunSummary(i: SummaryInput): RunSummary {
  const seconds = i.result.trainingMs / 1000;
  const steps = i.result.steps;
  return {
    trainAccuracy: i.evaluation.train,
    testAccuracy: i.evaluation.test,
    finalCost: i.cost.cost,
    finalCostEpoch: i.cost.epoch,
    testCost: i.evaluation.testCost,
    epochs: i.result.epochsCompleted,
    steps,
    seconds,
    samplesPerSecond: seconds > 0 ? i.result.samplesSeen / seconds : 0,
    backend: i.backend,
    threads: i.threads,
    workers: i.workers,
    reproducible: i.reproducible,
    postMessageBytesPerStep: i.poolBytes && steps > 0 ? (i.poolBytes.sent + i.poolBytes.received) / steps : 0,
    layers: i.spec.layers,
    interrupted: i.result.interrupted,
    ...(i.fullBatch ? { fullBatch: i.fullBatch } : {}),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/**
 * The two stdout lines: what was trained, how fast, by whom; then the final cost (named), the
 * test cost and the accuracies.
 * @param networked true for `coordinator` (the worker count is shown)
 */
export function summaryText(s: RunSummary, cost: FinalCost, networked: boolean): string {
  const rate = Math.round(s.samplesPerSecond).toLocaleString('en-US');
  const who = `${s.threads} local thread${s.threads === 1 ? '' : 's'}${networked ? `, ${s.workers} worker${s.workers === 1 ? '' : 's'}` : ''}`;
  const testCost = s.testCost === null ? '' : `; test cost ${s.testCost.toFixed(5)}`;
  const fb = s.fullBatch;
  const length = fb
    ? `by ${fb.optimizer}, ${fb.iterations} iterations and ${fb.evaluations} evaluations of the cost and gradient,`
    : `for ${s.epochs} epochs`;
  const final = fb ? `${s.finalCost.toFixed(5)} (at the last iteration)` : describeFinalCost(cost);
  return (
    `trained ${s.layers.join('-')} ${length} in ${s.seconds.toFixed(1)} s (${rate} samples/s, ${s.backend}, ${who})\n` +
    `final cost ${final}${testCost}; train accuracy ${pct(s.trainAccuracy)}${s.testAccuracy === null ? '' : `; test accuracy ${pct(s.testAccuracy)}`}\n`
  );
}
