/**
 * Prediction: the output layer's activations (class probabilities for softmax, per-class
 * probabilities for sigmoid) for rows of already-scaled features, and the top-k classes of one
 * row. Runs the same forward pass as training and evaluation (backprop.ts), block by block.
 */
import { createWorkspace, lossAndPredictions } from './backprop.js';
import type { KernelBackend } from './kernel-backend.js';
import type { FloatArray, ModelSpec } from './types.js';

/** Rows per forward block: large enough for fast GEMMs, small in memory. */
const PREDICT_BLOCK_ROWS = 1000;

/**
 * Output activations of `count` rows of `features` (row-major, spec.layers[0] per row), as a
 * row-major [count × outputs] Float32Array.
 * @throws RangeError if features, params and spec disagree in size
 */
export function forwardOutputs(
  backend: KernelBackend,
  spec: ModelSpec,
  params: FloatArray,
  features: Float32Array,
  count: number,
): Float32Array {
  const inputs = spec.layers[0];
  const outputs = spec.layers[spec.layers.length - 1];
  if (features.length < count * inputs)
    throw new RangeError(`features has ${features.length} values, ${count} rows need ${count * inputs}`);
  const result = new Float32Array(count * outputs);
  const ws = createWorkspace(spec, Math.max(1, Math.min(PREDICT_BLOCK_ROWS, count)));
  // The forward pass needs labels for its loss term; class 0 is valid for every model and the loss is discarded.
  const labels = new Int32Array(count);
  const data = { features, labels, count, featureCount: inputs, classCount: 1 };
  for (let start = 0; start < count; start += ws.capacityRows) {
    const rows = Math.min(ws.capacityRows, count - start);
    lossAndPredictions(backend, params, data, { index: null, offset: start, count: rows }, ws);
    result.set(ws.a[ws.a.length - 1].subarray(0, rows * outputs), start * outputs);
  }
  return result;
}

/** One ranked class of a prediction. */
export interface RankedClass {
  readonly index: number;
  readonly probability: number;
}

/** The `k` largest of `scores`, largest first; ties keep the lower class first. */
export function topClasses(scores: ArrayLike<number>, k: number): RankedClass[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, probability: scores[index] }));
}
