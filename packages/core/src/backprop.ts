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
 * Each layer runs through dense-layer.ts: one fused call per layer and direction on backends that
 * have it (bias + activation inside the forward product, g' folded into the backward delta, the
 * gradient written straight into `grad`, the first block overwriting it instead of a zeroing pass).
 */
import { denseBackward, denseForward } from './dense-layer.js';
import {
  blockedDenseBackward,
  blockedDenseForward,
  FIRST_LAYER_BLOCK_UNITS,
  type FirstLayerOverlap,
} from './first-layer-blocks.js';
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
export function createWorkspace(
  spec: ModelSpec,
  capacityRows: number,
  ArrayType: FloatArrayConstructor = Float32Array,
): BackpropWorkspace {
  if (!Number.isInteger(capacityRows) || capacityRows < 1)
    throw new RangeError(`capacityRows must be a positive integer, got ${capacityRows}`);
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

function loadBlock(
  backend: KernelBackend,
  data: LabeledSamples,
  sel: SampleSelection,
  start: number,
  rows: number,
  ws: BackpropWorkspace,
): void {
  const cols = data.featureCount;
  if (sel.index !== null) {
    backend.gatherRows(data.features, cols, sel.index, sel.offset + start, rows, ws.a[0]);
  } else {
    const from = (sel.offset + start) * cols;
    ws.a[0].set(data.features.subarray(from, from + rows * cols));
  }
}

/**
 * Runs the forward pass on the first `rows` rows of ws.a[0]; leaves z_L (pre-activation) in ws.z[L].
 * With `awaitParams` (weights still arriving) the first layer runs in blocks of units as its rows
 * of W_1 come in, and the layers above once all parameters are there.
 */
function forwardHidden(
  backend: KernelBackend,
  params: FloatArray,
  rows: number,
  ws: BackpropWorkspace,
  awaitParams: ((end: number) => void) | null = null,
  blockUnits = FIRST_LAYER_BLOCK_UNITS,
): void {
  const { layouts, a, z, spec } = ws;
  const L = layouts.length;
  for (let l = 1; l <= L; l++) {
    const { rows: nOut, cols, offset } = layouts[l - 1];
    // Output activation and loss are fused in outputLoss; here only the bias is added for layer L.
    const last = l === L;
    if (awaitParams !== null && l === 1) {
      const activation = last ? 'identity' : spec.hidden;
      blockedDenseForward(
        backend,
        rows,
        cols - 1,
        nOut,
        a[0],
        params,
        offset,
        z[1],
        last ? z[1] : a[1],
        activation,
        blockUnits,
        ws,
        awaitParams,
      );
      const top = layouts[L - 1];
      awaitParams(top.offset + top.rows * top.cols);
      continue;
    }
    denseForward(
      backend,
      rows,
      cols - 1,
      nOut,
      a[l - 1],
      params,
      offset,
      z[l],
      last ? z[l] : a[l],
      last ? 'identity' : spec.hidden,
    );
  }
}

/** Output activation and loss through the backend's fused pass when it has one. */
function lossOf(
  backend: KernelBackend,
  spec: ModelSpec,
  ws: BackpropWorkspace,
  delta: FloatArray | null,
  rows: number,
  labels: Int32Array,
  sel: SampleSelection,
  start: number,
): number {
  const L = ws.layouts.length;
  const k = spec.layers[L];
  const at = sel.offset + start;
  if (backend.outputLoss)
    return backend.outputLoss(spec.output, spec.loss, ws.z[L], ws.a[L], delta, rows, k, labels, sel.index, at);
  return outputLoss(spec.output, spec.loss, ws.z[L], ws.a[L], delta, rows, k, labels, sel.index, at);
}

function checkShapes(
  spec: ModelSpec,
  params: FloatArray,
  data: LabeledSamples,
  sel: SampleSelection,
  ws: BackpropWorkspace,
): void {
  const last = ws.layouts[ws.layouts.length - 1];
  if (params.length < last.offset + last.rows * last.cols)
    throw new RangeError(`params has ${params.length} values, the model needs ${last.offset + last.rows * last.cols}`);
  if (data.featureCount !== spec.layers[0])
    throw new RangeError(`data has ${data.featureCount} features, the model's input layer has ${spec.layers[0]}`);
  if (data.classCount > spec.layers[spec.layers.length - 1]) {
    throw new RangeError(
      `data has ${data.classCount} classes, the model's output layer has ${spec.layers[spec.layers.length - 1]}`,
    );
  }
  if (sel.index === null && sel.offset + sel.count > data.count)
    throw new RangeError('sample selection runs past the end of the data');
  if (sel.index !== null && sel.offset + sel.count > sel.index.length)
    throw new RangeError('sample selection runs past the end of the index');
}

/**
 * Σ∇ℓ over the selected samples, written into `grad` (overwritten unless `accumulate`), and Σℓ.
 * With `overlap`, the first sample block's forward waits for each block of W_1 as it arrives, and
 * the last sample block's ∂W_1 is computed in blocks of units, each reported final at once (the
 * layers above are done before it); the bits are those of the call without it.
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
  overlap: FirstLayerOverlap | null = null,
): GradientStats {
  const { spec, layouts, a, z, delta } = ws;
  checkShapes(spec, params, data, sel, ws);
  // The first block overwrites the gradient (no zeroing pass: a fill of a shared buffer is slow).
  if (!accumulate && sel.count === 0) grad.fill(0);
  const L = layouts.length;
  const blockUnits = overlap?.blockUnits ?? FIRST_LAYER_BLOCK_UNITS;
  let lossSum = 0;
  for (let start = 0; start < sel.count; start += ws.capacityRows) {
    const rows = Math.min(ws.capacityRows, sel.count - start);
    loadBlock(backend, data, sel, start, rows, ws);
    // Only the first sample block can find weights missing: it waits for all of them.
    forwardHidden(backend, params, rows, ws, start === 0 ? (overlap?.awaitParams ?? null) : null, blockUnits);
    lossSum += lossOf(backend, spec, ws, delta[L], rows, data.labels, sel, start);
    const streamed = overlap !== null && start + rows >= sel.count;
    for (let l = L; l >= 1; l--) {
      const { rows: nOut, cols, offset } = layouts[l - 1];
      const below = l > 1;
      if (streamed && !below) {
        const onBlock = overlap.onGradReady ?? null;
        blockedDenseBackward(
          backend,
          rows,
          cols - 1,
          nOut,
          delta[1],
          a[0],
          params,
          offset,
          grad,
          spec.hidden,
          accumulate || start > 0,
          blockUnits,
          ws,
          onBlock,
        );
        continue;
      }
      denseBackward(
        backend,
        rows,
        cols - 1,
        nOut,
        delta[l],
        a[l - 1],
        below ? z[l - 1] : null,
        params,
        offset,
        grad,
        below ? delta[l - 1] : null,
        spec.hidden,
        accumulate || start > 0,
      );
    }
  }
  const top = layouts[L - 1];
  overlap?.onGradReady?.(top.offset + top.rows * top.cols);
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
  const { spec, layouts, a } = ws;
  checkShapes(spec, params, data, sel, ws);
  const L = layouts.length;
  const nOutput = spec.layers[L];
  let lossSum = 0;
  for (let start = 0; start < sel.count; start += ws.capacityRows) {
    const rows = Math.min(ws.capacityRows, sel.count - start);
    loadBlock(backend, data, sel, start, rows, ws);
    forwardHidden(backend, params, rows, ws);
    lossSum += lossOf(backend, spec, ws, null, rows, data.labels, sel, start);
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
