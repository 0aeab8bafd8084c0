/**
 * Labelled samples from a CSV file, plain or gzip: one sample per non-blank line, one column
 * holding the class label, every other column a feature (a finite decimal number, taken as it
 * is; rescale with {@link fitScaler}). An optional header row is skipped. Every refusal names the
 * file and the 1-based line number.
 * Labels are non-negative integers, or names (`setosa`, `cat`): a file with any label that is no
 * such integer has string labels, mapped to classes 0, 1, … in sorted order (scikit-learn's
 * LabelEncoder) and returned as `classNames`. A test file takes the training file's names
 * (options.classNames), so both map a name to the same class.
 */
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { MAX_CLASS_COUNT, MIN_CLASS_COUNT } from './constants.js';
import { csvRows, lineCountBound, parseDecimal, type CsvRow } from './csv-rows.js';
import { readFileBytes } from './file-bytes.js';
import { checkLabelSpread } from './label-spread.js';

/** Options of {@link readCsv}; all optional. */
export interface CsvOptions {
  /** Column of the label: 'first', 'last' or a 0-based index. ['last'] */
  labelColumn?: 'first' | 'last' | number;
  /** Whether the first row is a header; 'auto' = yes if a feature field of it is not a number. ['auto'] */
  header?: 'auto' | boolean;
  /**
   * The class names to map string labels by (a training set's): a file whose labels are not all
   * integers must use only these names.
   */
  classNames?: readonly string[];
}

/** Labelled samples read from a CSV file; `classNames` is set when its labels are names. */
export interface CsvSamples extends LabeledSamples {
  readonly classNames?: readonly string[];
}

/** {@link CsvOptions} with every field filled in. */
export interface ResolvedCsvOptions {
  readonly labelColumn: 'first' | 'last' | number;
  readonly header: 'auto' | boolean;
}

/** Defaults of {@link CsvOptions}. */
export const DEFAULT_CSV_OPTIONS: ResolvedCsvOptions = Object.freeze({ labelColumn: 'last', header: 'auto' });

/**
 * Validates CSV options and merges the defaults.
 * @throws TypeError if a field has the wrong type; RangeError if labelColumn is a negative or
 *   fractional number
 */
export function resolveCsvOptions(options: CsvOptions = {}): ResolvedCsvOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { labelColumn, header } = options;
  if (labelColumn !== undefined && labelColumn !== 'first' && labelColumn !== 'last') {
    if (typeof labelColumn !== 'number') {
      throw new TypeError(`options.labelColumn must be 'first', 'last' or a column index, got ${String(labelColumn)}`);
    }
    if (!Number.isInteger(labelColumn) || labelColumn < 0) {
      throw new RangeError(`options.labelColumn must be a non-negative integer column index, got ${labelColumn}`);
    }
  }
  if (header !== undefined && header !== 'auto' && typeof header !== 'boolean') {
    throw new TypeError(`options.header must be 'auto', true or false, got ${String(header)}`);
  }
  return Object.freeze({ ...DEFAULT_CSV_OPTIONS, ...definedOnly({ labelColumn, header }) });
}

/**
 * Reads labelled samples from a CSV file (plain or gzip, detected by content).
 * @param path the file
 * @param options see {@link CsvOptions}
 * @throws TypeError/RangeError for bad options; GradswarmError GS_ERR_DATA_IO if the file cannot be
 *   read; DataFormatError for an empty file, a label column outside the rows, a row with the wrong
 *   number of columns, a non-numeric feature, a label that is not a non-negative integer, or a
 *   label far above all the others (see checkLabelSpread)
 */
export function readCsv(path: string, options: CsvOptions = {}): CsvSamples {
  const resolved = resolveCsvOptions(options);
  const text = new TextDecoder().decode(readFileBytes(path));
  return parseCsv(text, path, { ...resolved, classNames: options.classNames });
}

/**
 * Parses CSV text; {@link readCsv} without the file. `path` is only named in messages.
 * @throws as {@link readCsv}
 */
export function parseCsv(text: string, path: string, options: CsvOptions = {}): CsvSamples {
  const { labelColumn, header } = resolveCsvOptions(options);
  const givenNames = options.classNames;
  const rows = csvRows(text);
  const first = rows.next();
  if (first.done) throw new DataFormatError(`${path}: file is empty (no data rows)`);
  const columnCount = first.value.fields.length;
  if (columnCount < 2) {
    throw new DataFormatError(`${path}: line ${first.value.line} has 1 column; need a label and at least 1 feature`);
  }
  const labelIndex = labelColumn === 'first' ? 0 : labelColumn === 'last' ? columnCount - 1 : labelColumn;
  if (labelIndex >= columnCount) {
    throw new DataFormatError(
      `${path}: label column index ${labelIndex} is out of range; ` +
        `rows have ${columnCount} columns (indices 0–${columnCount - 1})`,
    );
  }
  const featureCount = columnCount - 1;
  const capacity = lineCountBound(text);
  const features = new Float32Array(capacity * featureCount);
  const labels = new Int32Array(capacity);
  // Each row's label text and line, kept until the end decides between integers and names.
  const labelTexts: string[] = [];
  const labelLines: number[] = [];
  let count = 0;
  const parseRow = (row: CsvRow): void => {
    const { line, fields } = row;
    if (fields.length !== columnCount) {
      throw new DataFormatError(`${path}: line ${line} has ${fields.length} columns, expected ${columnCount}`);
    }
    let out = count * featureCount;
    for (let c = 0; c < columnCount; c++) {
      if (c === labelIndex) continue;
      const value = parseDecimal(fields[c]);
      if (value === undefined) {
        throw new DataFormatError(
          `${path}: line ${line}, column ${c + 1} (index ${c}): ${quote(fields[c])} is not a finite number`,
        );
      }
      features[out++] = value;
    }
    labelTexts.push(fields[labelIndex]);
    labelLines.push(line);
    count++;
  };
  if (!isHeader(first.value, labelIndex, header)) parseRow(first.value);
  for (const row of rows) parseRow(row);
  if (count === 0) throw new DataFormatError(`${path}: no data rows (only a header)`);
  // With the training set's names given, a file whose labels are all names maps by them; one
  // with integer labels (a model named by --class-names) is read by number as ever.
  const given = givenNames === undefined ? undefined : new Set(givenNames);
  const allNumbers = labelTexts.every((t) => parseDecimal(t) !== undefined);
  const numeric = given === undefined ? allNumbers : !labelTexts.every((t) => given.has(t)) && allNumbers;
  if (!numeric) {
    const names = givenNames ?? [...new Set(labelTexts)].sort();
    if (names.length > MAX_CLASS_COUNT) {
      throw new DataFormatError(
        `${path}: ${names.length} different string labels; at most ${MAX_CLASS_COUNT} classes are taken`,
      );
    }
    const classOf = new Map(names.map((n, i) => [n, i]));
    for (let i = 0; i < count; i++) {
      if (labelTexts[i] === '') {
        throw new DataFormatError(
          `${path}: line ${labelLines[i]}, column ${labelIndex + 1} (index ${labelIndex}): the label is an empty field`,
        );
      }
      const c = classOf.get(labelTexts[i]);
      if (c === undefined) {
        throw new DataFormatError(
          `${path}: line ${labelLines[i]}, column ${labelIndex + 1} (index ${labelIndex}): label ${quote(labelTexts[i])} is not one of the training set's classes (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`,
        );
      }
      labels[i] = c;
    }
    return {
      features: features.slice(0, count * featureCount),
      labels: labels.slice(0, count),
      count,
      featureCount,
      classCount: Math.max(MIN_CLASS_COUNT, names.length),
      classNames: names,
    };
  }
  let maxLabel = -1;
  let maxLabelLine = 0;
  for (let i = 0; i < count; i++) {
    const label = parseLabel(labelTexts[i]);
    if (label === undefined) {
      throw new DataFormatError(
        `${path}: line ${labelLines[i]}, column ${labelIndex + 1} (index ${labelIndex}): label ${quote(labelTexts[i])} ` +
          `is not an integer in [0, ${MAX_CLASS_COUNT - 1}]`,
      );
    }
    labels[i] = label;
    if (label > maxLabel) {
      maxLabel = label;
      maxLabelLine = labelLines[i];
    }
  }
  checkLabelSpread(labels.subarray(0, count), maxLabel, maxLabelLine, path);
  return {
    features: features.slice(0, count * featureCount),
    labels: labels.slice(0, count),
    count,
    featureCount,
    classCount: Math.max(MIN_CLASS_COUNT, maxLabel + 1),
  };
}

function isHeader(row: CsvRow, labelIndex: number, header: 'auto' | boolean): boolean {
  if (header !== 'auto') return header;
  return row.fields.some((f, c) => c !== labelIndex && parseDecimal(f) === undefined);
}

function parseLabel(field: string): number | undefined {
  const value = parseDecimal(field);
  return value !== undefined && Number.isInteger(value) && value >= 0 && value < MAX_CLASS_COUNT ? value : undefined;
}

function quote(field: string): string {
  return field === '' ? 'empty field' : JSON.stringify(field.length > 40 ? `${field.slice(0, 40)}…` : field);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
