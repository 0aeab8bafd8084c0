/**
 * The UCI optical-digits data as scikit-learn ships it: CSV without a header, 64 pixel columns
 * (an 8×8 image, integers 0 … 16) then the label 0 … 9; plain or gzip. Pixels are scaled by 1/16
 * into [0, 1] so the set is on the same scale as MNIST.
 */
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { DIGITS_CLASS_COUNT, DIGITS_FEATURE_COUNT, DIGITS_MAX_VALUE } from './constants.js';
import { csvRows, lineCountBound, parseDecimal } from './csv-rows.js';
import { readFileBytes } from './file-bytes.js';

/**
 * Reads a digits file (e.g. `shared/data/digits/digits.csv.gz`, 1 797 rows).
 * @throws GradswarmError GS_ERR_DATA_IO if the file cannot be read; DataFormatError naming the line
 *   for a row without 65 columns, a pixel outside 0 … 16 or a label outside 0 … 9, and for a file
 *   without rows
 */
export function readDigits(path: string): LabeledSamples {
  return parseDigits(new TextDecoder().decode(readFileBytes(path)), path);
}

/** {@link readDigits} on text already in memory; `path` is only named in messages. */
export function parseDigits(text: string, path: string): LabeledSamples {
  const columnCount = DIGITS_FEATURE_COUNT + 1;
  const capacity = lineCountBound(text);
  const features = new Float32Array(capacity * DIGITS_FEATURE_COUNT);
  const labels = new Int32Array(capacity);
  let count = 0;
  for (const { line, fields } of csvRows(text)) {
    if (fields.length !== columnCount) {
      throw new DataFormatError(
        `${path}: line ${line} has ${fields.length} columns, expected ${columnCount} (64 pixels then the label)`,
      );
    }
    const base = count * DIGITS_FEATURE_COUNT;
    for (let c = 0; c < DIGITS_FEATURE_COUNT; c++) {
      const value = parseDecimal(fields[c]);
      if (value === undefined || value < 0 || value > DIGITS_MAX_VALUE) {
        throw new DataFormatError(
          `${path}: line ${line}, column ${c + 1}: ` +
            `pixel ${JSON.stringify(fields[c])} is not a number in 0…${DIGITS_MAX_VALUE}`,
        );
      }
      features[base + c] = value / DIGITS_MAX_VALUE;
    }
    const label = parseDecimal(fields[DIGITS_FEATURE_COUNT]);
    if (label === undefined || !Number.isInteger(label) || label < 0 || label >= DIGITS_CLASS_COUNT) {
      throw new DataFormatError(
        `${path}: line ${line}, column ${columnCount}: label ${JSON.stringify(fields[DIGITS_FEATURE_COUNT])} ` +
          `is not an integer in 0…${DIGITS_CLASS_COUNT - 1}`,
      );
    }
    labels[count++] = label;
  }
  if (count === 0) throw new DataFormatError(`${path}: file is empty (no digit rows)`);
  return {
    features: features.slice(0, count * DIGITS_FEATURE_COUNT),
    labels: labels.slice(0, count),
    count,
    featureCount: DIGITS_FEATURE_COUNT,
    classCount: DIGITS_CLASS_COUNT,
  };
}
