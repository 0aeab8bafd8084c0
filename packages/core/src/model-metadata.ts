/**
 * What a model file remembers about its training besides the weights (issue 14, item 5), all
 * optional so files written before these fields existed still load and files written without
 * them stay byte-identical:
 *   "cost"       {"l1","l2","reduction"}: the cost options it was trained with (eval reuses them)
 *   "classNames" one name per output unit, e.g. a CSV's string labels or --class-names
 *   "image"      {"width","height"}: the inputs are a width×height greyscale image in [0, 1]
 *                 (row-major), so `predict` knows how to resize a picture
 *   "trainedOn"  {"name","fingerprint"}: the training data set's spec text and content hash, so
 *                 eval can warn when a model is evaluated on its own training data
 */
import { ErrorCode, GradswarmError } from './errors.js';
import type { CostOptions, ModelSpec } from './types.js';

/** Image geometry of a model's input: inputs = width × height greyscale pixels. */
export interface ModelImageShape {
  readonly width: number;
  readonly height: number;
}

/** The training data set a model was fitted on. */
export interface TrainedOn {
  /** The data-set spec text, e.g. `idx:data/mnist`. */
  readonly name: string;
  /** Hex SHA-256 content fingerprint (@gradswarm/data `fingerprint`). */
  readonly fingerprint: string;
}

/** The optional training metadata of a model file. */
export interface ModelMetadata {
  readonly cost?: CostOptions;
  readonly classNames?: readonly string[];
  readonly image?: ModelImageShape;
  readonly trainedOn?: TrainedOn;
}

function modelError(message: string): GradswarmError {
  return new GradswarmError(ErrorCode.MODEL_FORMAT, message);
}

/** The metadata fields present in `meta`, in file order, for JSON.stringify. */
export function metadataFields(meta: ModelMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (meta.cost) out.cost = { l1: meta.cost.l1, l2: meta.cost.l2, reduction: meta.cost.reduction };
  if (meta.classNames) out.classNames = [...meta.classNames];
  if (meta.image) out.image = { width: meta.image.width, height: meta.image.height };
  if (meta.trainedOn) out.trainedOn = { name: meta.trainedOn.name, fingerprint: meta.trainedOn.fingerprint };
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the metadata fields of a parsed model document against its spec.
 * @throws GradswarmError GS_ERR_MODEL_FORMAT naming the bad field
 */
export function parseModelMetadata(d: Record<string, unknown>, spec: ModelSpec, source: string): ModelMetadata {
  const meta: { -readonly [K in keyof ModelMetadata]: ModelMetadata[K] } = {};
  if (d.cost !== undefined) {
    const c = d.cost;
    const ok =
      isRecord(c) &&
      [c.l1, c.l2].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) &&
      (c.reduction === 'mean' || c.reduction === 'sum');
    if (!ok) throw modelError(`${source}: "cost" must be {"l1":≥0,"l2":≥0,"reduction":"mean"|"sum"}`);
    meta.cost = { l1: c.l1 as number, l2: c.l2 as number, reduction: c.reduction as CostOptions['reduction'] };
  }
  const outputs = spec.layers[spec.layers.length - 1];
  if (d.classNames !== undefined) {
    const n = d.classNames;
    if (!Array.isArray(n) || n.length !== outputs || n.some((x) => typeof x !== 'string')) {
      throw modelError(`${source}: "classNames" must hold ${outputs} strings, one per output`);
    }
    meta.classNames = n as string[];
  }
  if (d.image !== undefined) {
    const im = d.image;
    const ok =
      isRecord(im) &&
      Number.isInteger(im.width) &&
      Number.isInteger(im.height) &&
      (im.width as number) > 0 &&
      (im.width as number) * (im.height as number) === spec.layers[0];
    if (!ok)
      throw modelError(`${source}: "image" must be {"width","height"} with width×height = ${spec.layers[0]} inputs`);
    meta.image = { width: im.width as number, height: im.height as number };
  }
  if (d.trainedOn !== undefined) {
    const t = d.trainedOn;
    if (
      !isRecord(t) ||
      typeof t.name !== 'string' ||
      typeof t.fingerprint !== 'string' ||
      !/^[0-9a-f]{64}$/.test(t.fingerprint)
    ) {
      throw modelError(`${source}: "trainedOn" must be {"name":string,"fingerprint":64 hex digits}`);
    }
    meta.trainedOn = { name: t.name, fingerprint: t.fingerprint };
  }
  return meta;
}
