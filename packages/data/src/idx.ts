/**
 * IDX files (LeCun's MNIST format), raw or gzip. Layout, all integers big-endian:
 *
 *   byte 0–1  zero            byte 2  type (0x08 = uint8)      byte 3  number of dimensions d
 *   then d × uint32 sizes (count first), then the elements row-major.
 *
 * Images are `count × rows × cols` (any d ≥ 2), labels are `count` (d = 1). Every refusal names
 * the file and what is wrong with it.
 */
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { IDX_OTHER_TYPES, IDX_TYPE_UBYTE, MAX_CLASS_COUNT, MIN_CLASS_COUNT } from './constants.js';
import { readFileBytes } from './file-bytes.js';

/** What an IDX file is expected to hold: images (≥ 2 dims), labels (exactly 1) or anything (≥ 1). */
export type IdxKind = 'images' | 'labels' | 'any';

/** The dimensions and the uint8 elements of an IDX file. */
export interface IdxArray {
  /** Sizes, count first, e.g. [10000, 28, 28]. */
  readonly dims: number[];
  /** The elements, row-major; exactly the product of `dims` bytes. */
  readonly data: Uint8Array;
}

const HEADER_BYTES = 4;

/**
 * Parses the bytes of an (already decompressed) IDX file.
 * @param bytes the whole file
 * @param path named in error messages
 * @param kind ['any'] the expected dimension count
 * @throws DataFormatError on a bad magic, an unsupported type, a wrong dimension count, a short
 *   header, or data shorter or longer than the dimensions say
 */
export function parseIdx(bytes: Uint8Array, path: string, kind: IdxKind = 'any'): IdxArray {
  if (bytes.length < HEADER_BYTES) {
    throw new DataFormatError(`${path}: file is ${bytes.length} bytes, shorter than the 4-byte IDX header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(`${path}: bad IDX magic ${hex(bytes, 4)} (expected 00 00 08 0N); not an IDX file`);
  }
  const type = bytes[2];
  if (type !== IDX_TYPE_UBYTE) {
    const known = IDX_OTHER_TYPES[type];
    throw new DataFormatError(
      known === undefined
        ? `${path}: bad IDX magic ${hex(bytes, 4)}: unknown type byte 0x${byteHex(type)}`
        : `${path}: IDX type 0x${byteHex(type)} (${known}) is not supported; only 0x08 (unsigned byte) is`,
    );
  }
  const dimCount = bytes[3];
  checkDimCount(path, dimCount, kind);
  const dataOffset = HEADER_BYTES + 4 * dimCount;
  if (bytes.length < dataOffset) {
    throw new DataFormatError(
      `${path}: file is ${bytes.length} bytes, ` +
        `shorter than its header (${dataOffset} bytes for ${dimCount} dimensions)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < dimCount; i++) dims.push(view.getUint32(HEADER_BYTES + 4 * i, false));
  if (kind === 'images' && dims.slice(1).some((d) => d === 0)) {
    throw new DataFormatError(`${path}: image dimensions ${dims.join('×')} include a zero-sized feature dimension`);
  }
  // The product may exceed 2^53 for absurd headers; it is then still larger than any file, which
  // is all the comparison below needs. Nothing is allocated from the declared size.
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - dataOffset;
  if (found < expected) {
    throw new DataFormatError(
      `${path}: truncated IDX data: dimensions ${dims.join('×')} need ${expected} bytes, found ${found}`,
    );
  }
  if (found > expected) {
    throw new DataFormatError(
      `${path}: over-long IDX data: dimensions ${dims.join('×')} need ${expected} bytes, ` +
        `found ${found} (${found - expected} extra)`,
    );
  }
  return { dims, data: bytes.subarray(dataOffset) };
}

/**
 * Reads an IDX file, raw or gzip (detected by its first bytes, not its name).
 * @param path the file
 * @param kind ['any'] the expected dimension count: 'images' (≥ 2), 'labels' (1), 'any' (≥ 1)
 * @throws GradswarmError GS_ERR_DATA_IO if the file cannot be read; DataFormatError (see {@link parseIdx})
 */
export function readIdx(path: string, kind: IdxKind = 'any'): IdxArray {
  return parseIdx(readFileBytes(path), path, kind);
}

/**
 * Reads an images file and a labels file into labelled samples: features are bytes / 255,
 * featureCount is the product of the image dimensions after the count, classCount is the
 * largest label + 1 (at least 2).
 * @throws GradswarmError GS_ERR_DATA_IO if a file cannot be read; DataFormatError if either file is
 *   malformed or the two counts differ
 */
export function loadIdxPair(imagesPath: string, labelsPath: string): LabeledSamples {
  const images = readIdx(imagesPath, 'images');
  const labelFile = readIdx(labelsPath, 'labels');
  const count = images.dims[0];
  if (labelFile.dims[0] !== count) {
    throw new DataFormatError(
      `${imagesPath} holds ${count} images but ${labelsPath} holds ${labelFile.dims[0]} labels; the counts must match`,
    );
  }
  const featureCount = images.dims.slice(1).reduce((a, b) => a * b, 1);
  const features = new Float32Array(count * featureCount);
  const pixels = images.data;
  for (let i = 0; i < features.length; i++) features[i] = pixels[i] / 255;
  const labels = Int32Array.from(labelFile.data);
  let maxLabel = -1;
  for (let i = 0; i < count; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
  // uint8 labels cannot exceed MAX_CLASS_COUNT; the clamp only documents the invariant.
  const classCount = Math.min(MAX_CLASS_COUNT, Math.max(MIN_CLASS_COUNT, maxLabel + 1));
  return { features, labels, count, featureCount, classCount };
}

function checkDimCount(path: string, dimCount: number, kind: IdxKind): void {
  if (kind === 'labels' && dimCount !== 1) {
    throw new DataFormatError(`${path}: a labels file must have exactly 1 dimension, this one has ${dimCount}`);
  }
  if (kind === 'images' && dimCount < 2) {
    throw new DataFormatError(
      `${path}: an images file must have at least 2 dimensions (count and features), this one has ${dimCount}`,
    );
  }
  if (dimCount < 1) throw new DataFormatError(`${path}: an IDX file must have at least 1 dimension, this one has 0`);
}

function byteHex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function hex(bytes: Uint8Array, n: number): string {
  return Array.from(bytes.subarray(0, n), byteHex).join(' ');
}
