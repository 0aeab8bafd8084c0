/**
 * What the trainer reports (trainer.ts): after each step, after each epoch and at the end of a run.
 */
import type { FullBatchOutcome } from './full-batch-run.js';

/** Reported after every optimizer step. */
export interface StepInfo {
  readonly epoch: number;
  /** Minibatch index within the epoch. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** Global 0-based step (the step that just finished). */
  readonly step: number;
  /** J of this minibatch at the weights it was computed with. */
  readonly cost: number;
  readonly learningRate: number;
  readonly samples: number;
  /** Labels of the sources that computed this step's shards, in shard order. */
  readonly participants: readonly string[];
  /** Where the step's time went (for benchmarks). */
  readonly timing: StepTiming;
  /** Training samples processed since the start of the run (including before a resume). */
  readonly samplesSeen: number;
  /** Time spent in training steps since the start of the run. */
  readonly trainingMs: number;
  /** Full-batch optimizers: evaluations of J and ∇J so far (a step is then one iteration). */
  readonly evaluations?: number;
}

/** One step's time: compute per source as reported, summing and updating, and the whole step. */
export interface StepTiming {
  readonly totalMs: number;
  /** Compute time of each source that took part (its own measure where it reports one). */
  readonly computeMs: readonly number[];
  /** Summing the shard gradients, regularising and the optimizer update. */
  readonly reduceUpdateMs: number;
}

/** Reported after every epoch. */
export interface EpochInfo {
  readonly epoch: number;
  /** Mean of the epoch's minibatch costs (of this process's steps, after a resume). */
  readonly cost: number;
  readonly params: Float32Array;
  readonly trainingMs: number;
}

/** How a run ended. */
export interface TrainResult {
  readonly params: Float32Array;
  readonly epochsCompleted: number;
  readonly steps: number;
  /** Cost of the last minibatch. */
  readonly finalCost: number;
  readonly samplesSeen: number;
  /** Milliseconds spent in training steps (no start-up, no evaluation). */
  readonly trainingMs: number;
  /** True if stop() ended the run early. */
  readonly interrupted: boolean;
  /** Full-batch optimizers: why the run ended and its counters. */
  readonly fullBatch?: FullBatchOutcome;
}
