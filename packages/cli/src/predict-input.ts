/**
 * The inputs of `gradswarm predict`, as rows of raw features in the training data's units (before
 * the model's stored scaling): pictures (a PNG/JPEG file or a directory of them), CSV rows (the
 * features, optionally with the label column the training CSV had) or an IDX images file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, GradswarmError, type Model } from '@gradswarm/core';
import { readCsv, readFileBytes, readIdx, type CsvOptions } from '@gradswarm/data';
import { UsageError } from './errors.js';
import { prepareImage, type InvertMode } from './image-input.js';

/** Rows to predict, each with a name for the output. */
export interface PredictInput {
  readonly kind: 'image' | 'csv' | 'idx';
  readonly features: Float32Array;
  readonly count: number;
  /** File name for pictures, "row N" (1-based, after any header) or "image N" (0-based, as IDX indexes) otherwise. */
  readonly names: string[];
  /** The label column of CSV rows that have one; null otherwise. */
  readonly labels: Int32Array | null;
  /** How the rows were made, for the output, e.g. "28×28 greyscale, area-resized, pixel/255". */
  readonly preparation: string;
  /** Per row for pictures: whether it was inverted. */
  readonly inverted?: boolean[];
}

const IMAGE_EXTENSION = /\.(png|jpe?g)$/i;
const CSV_EXTENSION = /\.csv(\.gz)?$/i;

/** The image geometry of the model's input: stored in the file, or a square when the input count is one. */
export function modelImageShape(model: Model): { width: number; height: number } | null {
  if (model.image) return model.image;
  const side = Math.round(Math.sqrt(model.spec.layers[0]));
  return side * side === model.spec.layers[0] ? { width: side, height: side } : null;
}

function imageFiles(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new GradswarmError(
      ErrorCode.DATA_IO,
      `cannot read input ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (!isDir) return [path];
  const files = readdirSync(path)
    .filter((f) => IMAGE_EXTENSION.test(f))
    .sort();
  if (files.length === 0)
    throw new UsageError(
      `${path} holds no .png, .jpg or .jpeg files - help: point --input at a picture, a folder of pictures, a CSV or an IDX file`,
    );
  return files.map((f) => join(path, f));
}

function readImages(path: string, model: Model, invert: InvertMode): PredictInput {
  const shape = modelImageShape(model);
  if (!shape) {
    throw new UsageError(
      `the model takes ${model.spec.layers[0]} inputs, which is not a square image - help: predict on CSV rows or an IDX file instead`,
    );
  }
  const files = imageFiles(path);
  const { width, height } = shape;
  const features = new Float32Array(files.length * width * height);
  const inverted: boolean[] = [];
  const sizes = new Set<string>();
  files.forEach((file, i) => {
    const image = prepareImage(readFileSync(file), file, width, height, invert);
    features.set(image.pixels, i * width * height);
    inverted.push(image.inverted);
    sizes.add(`${image.sourceWidth}×${image.sourceHeight}`);
  });
  const resized = [...sizes].filter((s) => s !== `${width}×${height}`);
  const how = `${width}×${height} greyscale${resized.length ? ` (area-resized from ${resized.join(', ')})` : ''}, pixel/255 in [0, 1]`;
  return { kind: 'image', features, count: files.length, names: files, labels: null, preparation: how, inverted };
}

/** CSV rows with exactly the model's input count: parsed here, as readCsv needs a label column. */
function readFeatureRows(path: string, inputs: number): PredictInput {
  const text = new TextDecoder().decode(readFileBytes(path));
  const rows = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const isNumber = (f: string) => f.trim() !== '' && Number.isFinite(Number(f));
  if (rows.length > 0 && !rows[0].split(',').every(isNumber)) rows.shift();
  const features = new Float32Array(rows.length * inputs);
  rows.forEach((line, r) => {
    const fields = line.split(',');
    if (fields.length !== inputs || !fields.every(isNumber)) {
      throw new GradswarmError(
        ErrorCode.DATA_FORMAT,
        `${path}: row ${r + 1} must hold ${inputs} numbers, got ${JSON.stringify(line.slice(0, 60))} - help: one sample per row, the model's ${inputs} features`,
      );
    }
    fields.forEach((f, j) => (features[r * inputs + j] = Number(f)));
  });
  return {
    kind: 'csv',
    features,
    count: rows.length,
    names: rows.map((_, r) => `row ${r + 1}`),
    labels: null,
    preparation: `${inputs} CSV features per row`,
  };
}

function readCsvInput(path: string, model: Model, csv: CsvOptions): PredictInput {
  const inputs = model.spec.layers[0];
  const first =
    new TextDecoder()
      .decode(readFileBytes(path))
      .split(/\r?\n/)
      .find((line) => line.trim() !== '') ?? '';
  const columns = first.split(',').length;
  if (columns === inputs) return readFeatureRows(path, inputs);
  if (columns !== inputs + 1) {
    throw new UsageError(
      `${path} has ${columns} columns but the model takes ${inputs} inputs - help: give ${inputs} feature columns, optionally plus the label column`,
    );
  }
  // String labels map by the model's class names, as the training file's did.
  const samples = readCsv(path, model.classNames ? { ...csv, classNames: model.classNames } : csv);
  return {
    kind: 'csv',
    features: samples.features,
    count: samples.count,
    names: Array.from({ length: samples.count }, (_, r) => `row ${r + 1}`),
    labels: samples.labels,
    preparation: `${inputs} CSV features per row, label column set aside`,
  };
}

function readIdxInput(path: string, model: Model): PredictInput {
  const idx = readIdx(path, 'any');
  const inputs = model.spec.layers[0];
  const perItem = idx.dims.slice(1).reduce((a, b) => a * b, 1);
  if (idx.dims.length < 2 || perItem !== inputs) {
    throw new UsageError(
      `${path} holds items of ${idx.dims.slice(1).join('×') || 'one value'} but the model takes ${inputs} inputs - help: give the images file (…-images-idx3-ubyte), not the labels`,
    );
  }
  const count = idx.dims[0];
  const features = new Float32Array(count * inputs);
  for (let i = 0; i < features.length; i++) features[i] = idx.data[i] / 255;
  return {
    kind: 'idx',
    features,
    count,
    names: Array.from({ length: count }, (_, i) => `image ${i}`),
    labels: null,
    preparation: `IDX ${idx.dims.slice(1).join('×')} bytes, byte/255 in [0, 1]`,
  };
}

/**
 * Reads `--input` as pictures, CSV rows or an IDX file, by its name (a directory or .png/.jpg:
 * pictures; .csv or .csv.gz: CSV) and otherwise as IDX.
 * @throws UsageError or GradswarmError (GS_ERR_DATA_IO, GS_ERR_DATA_FORMAT) naming what is wrong
 */
export function readPredictInput(
  path: string,
  model: Model,
  options: { invert: InvertMode; csv: CsvOptions },
): PredictInput {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // Reported by the reader below with the file named.
  }
  if (isDir || IMAGE_EXTENSION.test(path)) return readImages(path, model, options.invert);
  if (CSV_EXTENSION.test(path)) return readCsvInput(path, model, options.csv);
  return readIdxInput(path, model);
}
