/**
 * Evaluation of a model on a data set: cost (the training formula), accuracy, the confusion
 * matrix (rows: true class, columns: predicted class) and the predictions themselves, from
 * which misclassified samples are listed.
 */
import { createWorkspace, lossAndPredictions, type BackpropWorkspace } from './backprop.js';
import { costFromLossSum } from './cost.js';
import type { KernelBackend } from './kernel-backend.js';
import type { CostOptions, FloatArray, LabeledSamples, ModelSpec } from './types.js';

export interface Evaluation {
  readonly cost: number;
  readonly accuracy: number;
  readonly samples: number;
  readonly confusion: number[][];
  readonly predictions: Int32Array;
}

/** Rows per forward block during evaluation: large enough for fast GEMMs, small in memory. */
const EVAL_BLOCK_ROWS = 1000;

/**
 * Most classes an evaluation takes: its confusion matrix is classes² numbers (4096 classes: 16.8
 * M cells, ~134 MB of JS numbers). Callers refuse more before training (issue 17 item 6).
 */
export const MAX_CONFUSION_CLASSES = 4096;

/**
 * Confusion matrix of size classCount × classCount from labels and predictions.
 * @throws RangeError if classCount is above MAX_CONFUSION_CLASSES
 */
export function confusionMatrix(labels: Int32Array, predictions: Int32Array, classCount: number): number[][] {
  if (classCount > MAX_CONFUSION_CLASSES)
    throw new RangeError(
      `a confusion matrix of ${classCount} classes is above the ${MAX_CONFUSION_CLASSES}-class limit`,
    );
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < predictions.length; i++) m[labels[i]][predictions[i]]++;
  return m;
}

/** Fraction of predictions equal to their labels; 0 for no samples. */
export function accuracy(labels: Int32Array, predictions: Int32Array): number {
  if (predictions.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / predictions.length;
}

/** Indices of the samples whose prediction differs from the label. */
export function misclassified(labels: Int32Array, predictions: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < predictions.length; i++) if (predictions[i] !== labels[i]) out.push(i);
  return out;
}

/** Evaluates `params` on all of `data`. */
export function evaluate(
  backend: KernelBackend,
  spec: ModelSpec,
  params: FloatArray,
  data: LabeledSamples,
  cost: CostOptions,
  workspace?: BackpropWorkspace,
): Evaluation {
  const ws = workspace ?? createWorkspace(spec, Math.max(1, Math.min(EVAL_BLOCK_ROWS, data.count)));
  const predictions = new Int32Array(data.count);
  const { lossSum } = lossAndPredictions(
    backend,
    params,
    data,
    { index: null, offset: 0, count: data.count },
    ws,
    predictions,
  );
  const classes = Math.max(data.classCount, spec.layers[spec.layers.length - 1]);
  return {
    cost: data.count === 0 ? 0 : costFromLossSum(spec.layers, params, lossSum, data.count, cost),
    accuracy: accuracy(data.labels.subarray(0, data.count), predictions),
    samples: data.count,
    confusion: confusionMatrix(data.labels, predictions, classes),
    predictions,
  };
}
