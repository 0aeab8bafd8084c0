/**
 * Forward pass and backpropagation over a block of samples: the one pure gradient step
 * (weights, data, sample indices) → (Σ∇ℓ, Σℓ, count). Workers of every kind call this; only the
 * data term is computed here, regularisation and the 1/m of the mean are added once by the
 * caller (cost.ts), so gradients summed over shards equal the gradient of the whole batch.
 *
 * Per layer l with W_l = [b | W]:  z_l = a_{l−1}·Wᵀ + b,  a_l = g(z_l)
 * Backward:  ∂W_l += delta_lᵀ·a_{l−1},  ∂b_l += Σ_rows delta_l,
 *            delta_{l−1} = (delta_l·W) ⊙ g'(z_{l−1})
 * Samples are processed in blocks of the workspace's row capacity so memory stays bounded.
 */
import type { KernelBackend } from './kernel-backend.js';
import { outputLoss } from './losses.js';
import { layerLayouts, type LayerLayout } from './mlp.js';
import type { FloatArray, GradientStats, LabeledSamples, ModelSpec } from './types.js';

type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Scratch buffers for a block of up to `capacityRows` samples; reuse it across calls. */
export interface BackpropWorkspace {
  readonly spec: ModelSpec;
  readonly capacityRows: number;
  readonly layouts: readonly LayerLayout[];
  /** a[0] is the gathered input block; a[l] = g(z[l]) for l ≥ 1 (z[0] unused). */
  readonly a: FloatArray[];
  readonly z: FloatArray[];
  readonly delta: FloatArray[];
}

/** Allocates scratch buffers for `spec` and blocks of up to `capacityRows` samples. */
export function createWorkspace(spec: ModelSpec, capacityRows: number, ArrayType: FloatArrayConstructor = Float32Array): BackpropWorkspace {
  if (!Number.isInteger(capacityRows) || capacityRows < 1) throw new RangeError(`capacityRows must be a positive integer, got ${capacityRows}`);
  const a: FloatArray[] = [];
  const z: FloatArray[] = [];
  const delta: FloatArray[] = [];
  for (const n of spec.layers) {
    a.push(new ArrayType(capacityRows * n));
    z.push(new ArrayType(capacityRows * n));
    delta.push(new ArrayType(capacityRows * n));
  }
  return { spec, capacityRows, layouts: layerLayouts(spec.layers), a, z, delta };
}

/** Sample selection: rows `index[offset … offset+count)` of the data, or rows `offset …` when index is null. */
export interface SampleSelection {
  readonly index: Uint32Array | null;
  readonly offset: number;
  readonly count: number;
}

function loadBlock(backend: KernelBackend, data: LabeledSamples, sel: SampleSelection, start: number, rows: number, ws: BackpropWorkspace): void {
  const cols = data.featureCount;
  if (sel.index !== null) {
    backend.gatherRows(data.features, cols, sel.index, sel.offset + start, rows, ws.a[0]);
  } else {
    const from = (sel.offset + start) * cols;
    ws.a[0].set(data.features.subarray(from, from + rows * cols));
  }
}

/** Runs the forward pass on the first `rows` rows of ws.a[0]; leaves z_L (pre-activation) in ws.z[L]. */
function forwardHidden(backend: KernelBackend, params: FloatArray, rows: number, ws: BackpropWorkspace): void {
  const { layouts, a, z, spec } = ws;
  const L = layouts.length;
  for (let l = 1; l <= L; l++) {
    const { rows: nOut, cols, offset } = layouts[l - 1];
    const nIn = cols - 1;
    backend.gemm(false, true, rows, nOut, nIn, a[l - 1], 0, nIn, params, offset + 1, cols, z[l], 0, nOut, false);
    // Output activation and loss are fused in outputLoss; here only the bias is added for layer L.
    backend.biasActivation(z[l], l === L ? z[l] : a[l], rows, nOut, params, offset, cols, l === L ? 'identity' : spec.hidden);
  }
}

function checkShapes(spec: ModelSpec, params: FloatArray, data: LabeledSamples, sel: SampleSelection, ws: BackpropWorkspace): void {
  const last = ws.layouts[ws.layouts.length - 1];
  if (params.length < last.offset + last.rows * last.cols) throw new RangeError(`params has ${params.length} values, the model needs ${last.offset + last.rows * last.cols}`);
  if (data.featureCount !== spec.layers[0]) throw new RangeError(`data has ${data.featureCount} features, the model's input layer has ${spec.layers[0]}`);
  if (data.classCount > spec.layers[spec.layers.length - 1]) {
    throw new RangeError(`data has ${data.classCount} classes, the model's output layer has ${spec.layers[spec.layers.length - 1]}`);
  }
  if (sel.index === null && sel.offset + sel.count > data.count) throw new RangeError('sample selection runs past the end of the data');
  if (sel.index !== null && sel.offset + sel.count > sel.index.length) throw new RangeError('sample selection runs past the end of the index');
}

/**
 * Σ∇ℓ over the selected samples, written into `grad` (overwritten unless `accumulate`), and Σℓ.
 * @throws RangeError if shapes of params, data and model disagree
 */
export function gradientSum(
  backend: KernelBackend,
  params: FloatArray,
  data: LabeledSamples,
  sel: SampleSelection,
  grad: FloatArray,
  ws: BackpropWorkspace,
  accumulate = false,
): GradientStats {
  const { spec, layouts, a, z, delta } = ws;
  checkShapes(spec, params, data, sel, ws);
  if (!accumulate) grad.fill(0);
  const L = layouts.length;
  const nOutput = spec.layers[L];
  let lossSum = 0;
  for (let start = 0; start < sel.count; start += ws.capacityRows) {
    const rows = Math.min(ws.capacityRows, sel.count - start);
    loadBlock(backend, data, sel, start, rows, ws);
    forwardHidden(backend, params, rows, ws);
    lossSum += outputLoss(spec.output, spec.loss, z[L], a[L], delta[L], rows, nOutput, data.labels, sel.index, sel.offset + start);
    for (let l = L; l >= 1; l--) {
      const { rows: nOut, cols, offset } = layouts[l - 1];
      const nIn = cols - 1;
      backend.gemm(true, false, nOut, nIn, rows, delta[l], 0, nOut, a[l - 1], 0, nIn, grad, offset + 1, cols, true);
      backend.addColumnSums(delta[l], rows, nOut, grad, offset, cols);
      if (l > 1) {
        backend.gemm(false, false, rows, nIn, nOut, delta[l], 0, nOut, params, offset + 1, cols, delta[l - 1], 0, nIn, false);
        backend.mulActivationPrime(spec.hidden, delta[l - 1], z[l - 1], a[l - 1], rows * nIn);
      }
    }
  }
  return { lossSum, count: sel.count };
}

/**
 * Forward pass only: Σℓ over the selected samples, and, when `predictions` is given, the arg-max
 * class of each sample written to predictions[i] for i < count.
 */
export function lossAndPredictions(
  backend: KernelBackend,
  params: FloatArray,
  data: LabeledSamples,
  sel: SampleSelection,
  ws: BackpropWorkspace,
  predictions: Int32Array | null = null,
): GradientStats {
  const { spec, layouts, a, z } = ws;
  checkShapes(spec, params, data, sel, ws);
  const L = layouts.length;
  const nOutput = spec.layers[L];
  let lossSum = 0;
  for (let start = 0; start < sel.count; start += ws.capacityRows) {
    const rows = Math.min(ws.capacityRows, sel.count - start);
    loadBlock(backend, data, sel, start, rows, ws);
    forwardHidden(backend, params, rows, ws);
    lossSum += outputLoss(spec.output, spec.loss, z[L], a[L], null, rows, nOutput, data.labels, sel.index, sel.offset + start);
    if (predictions !== null) {
      const out = a[L];
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let j = 1; j < nOutput; j++) if (out[r * nOutput + j] > out[r * nOutput + best]) best = j;
        predictions[start + r] = best;
      }
    }
  }
  return { lossSum, count: sel.count };
}
