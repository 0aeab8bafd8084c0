/**
 * What a training report shows beyond the curves, captured at the end of a run so the report
 * can be rebuilt from the metrics file alone: sample inputs, misclassified test samples with
 * their true and predicted classes, the confusion matrix, and the first layer's weights (one
 * tile per hidden unit). Images are quantised to bytes and stored as base64.
 */
import type { LabeledSamples } from '@gradswarm/core';

export interface ImageSet {
  /** Pixels per image (the input size), and the image's width and height when it is square. */
  readonly size: number;
  readonly width: number;
  readonly height: number;
  /** count × size bytes, 0..255, base64. */
  readonly pixels: string;
  readonly labels: number[];
  /** Predicted classes (misclassified samples only). */
  readonly predicted?: number[];
}

export interface ReportData {
  readonly samples: ImageSet;
  readonly misclassified: ImageSet;
  /** Rows: true class, columns: predicted class (on the test set, or the training set without one). */
  readonly confusion: number[][];
  readonly confusionOn: 'test' | 'train';
  /** W_1[:, 1:] as one image per hidden unit, each scaled to 0..255 by its own range. */
  readonly firstLayer: ImageSet;
  /** One name per class where the training knew them (--class-names, a CSV's string labels). */
  readonly classNames?: readonly string[];
}

/** Side of the square image a feature vector forms, or 0 if it is not square. */
function squareSide(n: number): number {
  const s = Math.round(Math.sqrt(n));
  return s * s === n ? s : 0;
}

/** Bytes 0..255 of `rows` vectors, each scaled by the given range. */
function quantise(
  values: ArrayLike<number>,
  offset: number,
  size: number,
  low: number,
  high: number,
  out: Uint8Array,
  at: number,
): void {
  const span = high - low || 1;
  for (let i = 0; i < size; i++)
    out[at + i] = Math.max(0, Math.min(255, Math.round(((values[offset + i] - low) / span) * 255)));
}

function imageSet(data: LabeledSamples, indices: readonly number[], predicted?: number[]): ImageSet {
  const size = data.featureCount;
  const side = squareSide(size);
  let low = Infinity;
  let high = -Infinity;
  for (const i of indices) {
    for (let j = 0; j < size; j++) {
      const v = data.features[i * size + j];
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  const bytes = new Uint8Array(indices.length * size);
  indices.forEach((i, k) => quantise(data.features, i * size, size, low, high, bytes, k * size));
  return {
    size,
    width: side || size,
    height: side ? side : 1,
    pixels: Buffer.from(bytes).toString('base64'),
    labels: indices.map((i) => data.labels[i]),
    ...(predicted ? { predicted } : {}),
  };
}

/**
 * Collects the report data.
 * @param params the trained weights (flat, W_1 first with shape [n_1, n_0 + 1])
 * @param predictions predicted class of every sample of `evaluated`
 */
export function collectReportData(
  layers: readonly number[],
  params: Float32Array,
  train: LabeledSamples,
  evaluated: LabeledSamples,
  predictions: Int32Array,
  confusion: number[][],
  confusionOn: 'test' | 'train',
  limit = 100,
): ReportData {
  const samples = imageSet(
    train,
    Array.from({ length: Math.min(limit, train.count) }, (_, i) => i),
  );
  const wrong: number[] = [];
  for (let i = 0; i < evaluated.count && wrong.length < limit; i++)
    if (predictions[i] !== evaluated.labels[i]) wrong.push(i);
  const misclassified = imageSet(
    evaluated,
    wrong,
    wrong.map((i) => predictions[i]),
  );
  const nIn = layers[0];
  const hidden = layers[1];
  const side = squareSide(nIn);
  const tiles = new Uint8Array(hidden * nIn);
  for (let h = 0; h < hidden; h++) {
    const offset = h * (nIn + 1) + 1;
    let low = Infinity;
    let high = -Infinity;
    for (let j = 0; j < nIn; j++) {
      low = Math.min(low, params[offset + j]);
      high = Math.max(high, params[offset + j]);
    }
    quantise(params, offset, nIn, low, high, tiles, h * nIn);
  }
  const firstLayer: ImageSet = {
    size: nIn,
    width: side || nIn,
    height: side ? side : 1,
    pixels: Buffer.from(tiles).toString('base64'),
    labels: Array.from({ length: hidden }, (_, h) => h),
  };
  return { samples, misclassified, confusion, confusionOn, firstLayer };
}
