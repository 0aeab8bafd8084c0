/**
 * The byte form of a data set, as remote workers download and cache it:
 *
 *   count, featureCount, classCount   3 × uint32 little-endian (12 bytes)
 *   features                          count × featureCount float32 little-endian, row-major
 *   labels                            count int32 little-endian
 *
 * These are exactly the bytes `fingerprint` hashes, so `sha256(encodeDataset(s))` is
 * `fingerprint(s)` and a downloaded copy is checked by hashing what arrived.
 */
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { HOST_IS_LITTLE_ENDIAN, MAX_CLASS_COUNT } from './constants.js';

/** Bytes of the header: count, featureCount, classCount as uint32 LE. */
export const DATASET_HEADER_BYTES = 12;

/**
 * Encodes a data set: header, float32 features, int32 labels, all little-endian.
 * @param samples the data set; only the first count rows and labels are written
 * @returns a fresh buffer of 12 + 4 · count · (featureCount + 1) bytes
 * @throws RangeError if count, featureCount or classCount is not a uint32, or the arrays are
 *   shorter than the shape says
 */
export function encodeDataset(samples: LabeledSamples): Uint8Array {
  const { count, featureCount, classCount } = samples;
  for (const [name, v] of [
    ['count', count],
    ['featureCount', featureCount],
    ['classCount', classCount],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`samples.${name} must be a uint32, got ${v}`);
  }
  const featureValues = count * featureCount;
  if (samples.features.length < featureValues || samples.labels.length < count) {
    throw new RangeError(
      `samples hold ${samples.features.length} features and ${samples.labels.length} labels, ` +
        `fewer than count ${count} × featureCount ${featureCount} says`,
    );
  }
  const out = new Uint8Array(DATASET_HEADER_BYTES + 4 * featureValues + 4 * count);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  view.setUint32(4, featureCount, true);
  view.setUint32(8, classCount, true);
  const labelsAt = DATASET_HEADER_BYTES + 4 * featureValues;
  if (HOST_IS_LITTLE_ENDIAN) {
    // The output starts at offset 0 and the header is 12 bytes, so both typed views are aligned.
    new Float32Array(out.buffer, DATASET_HEADER_BYTES, featureValues).set(samples.features.subarray(0, featureValues));
    new Int32Array(out.buffer, labelsAt, count).set(samples.labels.subarray(0, count));
  } else {
    for (let i = 0; i < featureValues; i++) view.setFloat32(DATASET_HEADER_BYTES + 4 * i, samples.features[i], true);
    for (let i = 0; i < count; i++) view.setInt32(labelsAt + 4 * i, samples.labels[i], true);
  }
  return out;
}

/**
 * Decodes bytes made by `encodeDataset` into fresh arrays.
 * @param bytes the encoded data set (any alignment)
 * @param source names the bytes in error messages (a file, "data set <fingerprint>")
 * @throws DataFormatError naming `source` if the length does not match the header, the class
 *   count is outside [1, MAX_CLASS_COUNT], a label is outside [0, classCount) or a feature is
 *   not finite
 */
export function decodeDataset(bytes: Uint8Array, source: string): LabeledSamples {
  if (bytes.byteLength < DATASET_HEADER_BYTES) {
    throw new DataFormatError(
      `${source}: ${bytes.byteLength} bytes, shorter than the ${DATASET_HEADER_BYTES}-byte data-set header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const featureCount = view.getUint32(4, true);
  const classCount = view.getUint32(8, true);
  const featureValues = count * featureCount;
  const expected = DATASET_HEADER_BYTES + 4 * featureValues + 4 * count;
  if (bytes.byteLength !== expected) {
    throw new DataFormatError(
      `${source}: header says ${count} samples × ${featureCount} features (${expected} bytes), ` +
        `but there are ${bytes.byteLength} bytes`,
    );
  }
  if (classCount < 1 || classCount > MAX_CLASS_COUNT) {
    throw new DataFormatError(`${source}: class count ${classCount} is outside [1, ${MAX_CLASS_COUNT}]`);
  }
  const features = new Float32Array(featureValues);
  const labels = new Int32Array(count);
  const labelsAt = DATASET_HEADER_BYTES + 4 * featureValues;
  if (HOST_IS_LITTLE_ENDIAN) {
    // Byte copies into the fresh arrays: `bytes` may sit at any offset, so no typed view on it.
    new Uint8Array(features.buffer).set(bytes.subarray(DATASET_HEADER_BYTES, labelsAt));
    new Uint8Array(labels.buffer).set(bytes.subarray(labelsAt));
  } else {
    for (let i = 0; i < featureValues; i++) features[i] = view.getFloat32(DATASET_HEADER_BYTES + 4 * i, true);
    for (let i = 0; i < count; i++) labels[i] = view.getInt32(labelsAt + 4 * i, true);
  }
  for (let i = 0; i < featureValues; i++) {
    if (!Number.isFinite(features[i])) {
      const sample = Math.floor(i / featureCount);
      throw new DataFormatError(`${source}: feature ${i % featureCount} of sample ${sample} is ${features[i]}`);
    }
  }
  for (let i = 0; i < count; i++) {
    if (labels[i] < 0 || labels[i] >= classCount) {
      throw new DataFormatError(`${source}: label of sample ${i} is ${labels[i]}, outside [0, ${classCount})`);
    }
  }
  return { features, labels, count, featureCount, classCount };
}
