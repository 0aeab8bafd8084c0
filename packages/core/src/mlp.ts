/**
 * Model spec validation and the parameter layout. Layer l (1-based) has W_l of shape
 * [n_l, n_{l−1}+1] with column 0 the bias, exactly the texts' Theta matrices; the flat parameter
 * vector is W_1, W_2, … concatenated row-major ("unrolled").
 */
import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS } from './activations.js';
import { DEFAULT_UNIFORM_INIT_EPSILON, MAX_LAYER_SIZE } from './constants.js';
import { VALID_OUTPUT_LOSS } from './losses.js';
import type { Rng } from './rng.js';
import type { FloatArray, InitName, LossName, ModelSpec } from './types.js';

/** Where one layer's matrix lives inside the flat parameter vector. */
export interface LayerLayout {
  /** Rows n_l (units of this layer). */
  readonly rows: number;
  /** Columns n_{l−1} + 1 (inputs plus the bias column). */
  readonly cols: number;
  /** Index of W_l[0, 0] in the flat vector. */
  readonly offset: number;
}

export const INIT_NAMES: readonly InitName[] = ['glorot', 'uniform', 'he'];

/**
 * Checks a model spec and returns a frozen copy.
 * @throws TypeError on a wrongly typed field; RangeError on a bad size or an output/loss pair that does not go together
 */
export function validateModelSpec(spec: ModelSpec): ModelSpec {
  if (!Array.isArray(spec.layers)) throw new TypeError('spec.layers must be an array of layer sizes');
  if (spec.layers.length < 2)
    throw new RangeError(`spec.layers must have at least 2 sizes (input, output), got ${spec.layers.length}`);
  for (const n of spec.layers) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_LAYER_SIZE) {
      throw new RangeError(`spec.layers must be integers in [1, ${MAX_LAYER_SIZE}], got ${n}`);
    }
  }
  if (!HIDDEN_ACTIVATIONS.includes(spec.hidden)) {
    throw new RangeError(`spec.hidden must be one of ${HIDDEN_ACTIVATIONS.join(', ')}, got ${String(spec.hidden)}`);
  }
  if (!OUTPUT_ACTIVATIONS.includes(spec.output)) {
    throw new RangeError(`spec.output must be one of ${OUTPUT_ACTIVATIONS.join(', ')}, got ${String(spec.output)}`);
  }
  const allowed = VALID_OUTPUT_LOSS[spec.loss as LossName];
  if (!allowed) throw new RangeError(`spec.loss must be one of bce, ce, mse, got ${String(spec.loss)}`);
  if (!allowed.includes(spec.output)) {
    throw new RangeError(
      `spec.loss ${spec.loss} does not go with output ${spec.output}; it needs output ${allowed.join(' or ')}`,
    );
  }
  return Object.freeze({
    layers: Object.freeze([...spec.layers]),
    hidden: spec.hidden,
    output: spec.output,
    loss: spec.loss,
  });
}

/** The position of every W_l in the flat parameter vector. */
export function layerLayouts(layers: readonly number[]): LayerLayout[] {
  const out: LayerLayout[] = [];
  let offset = 0;
  for (let l = 1; l < layers.length; l++) {
    const rows = layers[l];
    const cols = layers[l - 1] + 1;
    out.push({ rows, cols, offset });
    offset += rows * cols;
  }
  return out;
}

/** Total number of parameters P = Σ n_l (n_{l−1} + 1). */
export function parameterCount(layers: readonly number[]): number {
  let total = 0;
  for (let l = 1; l < layers.length; l++) total += layers[l] * (layers[l - 1] + 1);
  return total;
}

/** Whether flat index i is a bias (column 0 of its layer): biases are never regularised. */
export function isBiasMask(layers: readonly number[]): Uint8Array {
  const mask = new Uint8Array(parameterCount(layers));
  for (const { rows, cols, offset } of layerLayouts(layers)) {
    for (let r = 0; r < rows; r++) mask[offset + r * cols] = 1;
  }
  return mask;
}

/**
 * Fills `params` with initial weights drawn from `rng`, layer by layer, row-major.
 * glorot: every entry (bias included, as ex4's randInitializeWeights) ~ U(±√6/√(n_in+n_out));
 * uniform: every entry ~ U(±epsilon) (ex4: 0.12, Raschka: 1.0);
 * he: weights ~ U(±√(6/n_in)), biases 0 (for relu).
 */
export function initializeParameters(
  layers: readonly number[],
  init: InitName,
  rng: Rng,
  params: FloatArray,
  epsilon: number = DEFAULT_UNIFORM_INIT_EPSILON,
): void {
  for (const { rows, cols, offset } of layerLayouts(layers)) {
    const nIn = cols - 1;
    const bound =
      init === 'glorot' ? Math.sqrt(6) / Math.sqrt(nIn + rows) : init === 'he' ? Math.sqrt(6 / nIn) : epsilon;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = offset + r * cols + c;
        params[i] = init === 'he' && c === 0 ? 0 : rng.uniform(-bound, bound);
      }
    }
  }
}
