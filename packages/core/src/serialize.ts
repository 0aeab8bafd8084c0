/**
 * The model file: plain JSON any tool can read.
 *   {"format":"gradswarm-mlp","version":1,"layers":[784,100,10],"hidden":"sigmoid",
 *    "output":"sigmoid","loss":"bce","weights":[[…],[…]]}
 * weights[l] is W_{l+1} flattened row-major with shape [layers[l+1], layers[l]+1], column 0 the
 * bias. An optional "scaling" {"kind","offset","factor"} records the per-feature map
 * x' = (x − offset)·factor the model was trained with, so evaluation applies the same one;
 * optional "cost", "classNames", "image" and "trainedOn" record the rest of its training
 * (model-metadata.ts).
 * Numbers are written as the shortest decimal that round-trips the float32 value, so a
 * saved and reloaded model is bit-identical and two identical models give identical files.
 */
import { ErrorCode, GradswarmError } from './errors.js';
import { jsonSyntaxReason } from './reasons.js';
import { layerLayouts, parameterCount, validateModelSpec } from './mlp.js';
import { metadataFields, parseModelMetadata, type ModelMetadata } from './model-metadata.js';
import type { ModelSpec } from './types.js';

export const MODEL_FORMAT = 'gradswarm-mlp';
export const MODEL_VERSION = 1;

/** Per-feature input scaling fitted on the training data: x' = (x − offset[j])·factor[j]. */
export interface FeatureScaling {
  readonly kind: 'minmax' | 'standard';
  readonly offset: readonly number[];
  readonly factor: readonly number[];
}

/** A trained model: its spec and weights, plus what it remembers of its training. */
export interface Model extends ModelMetadata {
  readonly spec: ModelSpec;
  /** Flat parameter vector W_1, W_2, … row-major. */
  readonly params: Float32Array;
  /** Input scaling the model expects, if it was trained on scaled features. */
  readonly scaling?: FeatureScaling;
}

function modelError(message: string): GradswarmError {
  return new GradswarmError(ErrorCode.MODEL_FORMAT, message);
}

/** Shortest decimal that parses back to the same float32. */
function float32ToText(x: number): string {
  for (let digits = 6; digits <= 9; digits++) {
    const text = x.toPrecision(digits);
    if (Math.fround(Number(text)) === x) return String(Number(text));
  }
  return String(x);
}

/** Serialises a model to the JSON text of the model file. */
export function modelToJson(model: Model): string {
  const { spec, params } = model;
  const weights = layerLayouts(spec.layers).map(({ rows, cols, offset }) => {
    const parts: string[] = new Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) parts[i] = float32ToText(params[offset + i]);
    return `[${parts.join(',')}]`;
  });
  const head = JSON.stringify({
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    layers: spec.layers,
    hidden: spec.hidden,
    output: spec.output,
    loss: spec.loss,
    ...(model.scaling
      ? { scaling: { kind: model.scaling.kind, offset: model.scaling.offset, factor: model.scaling.factor } }
      : {}),
    ...metadataFields(model),
  });
  return `${head.slice(0, -1)},"weights":[\n${weights.join(',\n')}\n]}\n`;
}

/**
 * Parses and checks a model file's text: format, version, spec, shapes, finiteness.
 * @param source a name for messages (the file path)
 * @throws GradswarmError GS_ERR_MODEL_FORMAT naming what is wrong
 */
export function modelFromJson(text: string, source = 'model'): Model {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw modelError(`${source}: not valid JSON (${jsonSyntaxReason(err, text)})`);
  }
  if (typeof doc !== 'object' || doc === null) throw modelError(`${source}: expected a JSON object`);
  const d = doc as Record<string, unknown>;
  if (d.format !== MODEL_FORMAT)
    throw modelError(`${source}: "format" must be "${MODEL_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== MODEL_VERSION)
    throw modelError(
      `${source}: unsupported version ${JSON.stringify(d.version)}; this build reads version ${MODEL_VERSION}`,
    );
  let spec: ModelSpec;
  try {
    spec = validateModelSpec({
      layers: d.layers as number[],
      hidden: d.hidden as ModelSpec['hidden'],
      output: d.output as ModelSpec['output'],
      loss: d.loss as ModelSpec['loss'],
    });
  } catch (err) {
    throw modelError(`${source}: ${(err as Error).message.replace(/^spec\./, '')}`);
  }
  const layouts = layerLayouts(spec.layers);
  if (!Array.isArray(d.weights) || d.weights.length !== layouts.length) {
    throw modelError(
      `${source}: "weights" must be an array of ${layouts.length} matrices for layers ${spec.layers.join(',')}`,
    );
  }
  const params = new Float32Array(parameterCount(spec.layers));
  layouts.forEach(({ rows, cols, offset }, l) => {
    const w = (d.weights as unknown[])[l];
    if (!Array.isArray(w) || w.length !== rows * cols) {
      const got = Array.isArray(w) ? `${w.length} values` : typeof w;
      throw modelError(`${source}: weights[${l}] must hold ${rows}x${cols} = ${rows * cols} numbers, got ${got}`);
    }
    for (let i = 0; i < w.length; i++) {
      const v = w[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw modelError(`${source}: weights[${l}][${i}] is not a finite number (${JSON.stringify(v)})`);
      params[offset + i] = v;
    }
  });
  const meta = parseModelMetadata(d, spec, source);
  return d.scaling === undefined
    ? { spec, params, ...meta }
    : { spec, params, scaling: parseScaling(d.scaling, spec.layers[0], source), ...meta };
}

function parseScaling(value: unknown, inputs: number, source: string): FeatureScaling {
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || (v.kind !== 'minmax' && v.kind !== 'standard')) {
    throw modelError(`${source}: "scaling" must be {"kind":"minmax"|"standard","offset":[…],"factor":[…]}`);
  }
  for (const key of ['offset', 'factor'] as const) {
    const list = v[key];
    if (
      !Array.isArray(list) ||
      list.length !== inputs ||
      list.some((x) => typeof x !== 'number' || !Number.isFinite(x))
    ) {
      throw modelError(`${source}: scaling.${key} must hold ${inputs} finite numbers, one per input`);
    }
  }
  return { kind: v.kind, offset: v.offset as number[], factor: v.factor as number[] };
}
