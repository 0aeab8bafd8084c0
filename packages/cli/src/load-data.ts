/**
 * Turns the data flags (--dataset, --test, --test-fraction, --validation-fraction, --scale,
 * --label-column, --header, --class-names) into a training set, an optional validation set and
 * an optional test set, scaled with parameters fitted on the training set alone. The validation
 * set is cut from what is left for training after the test split, with its own seeded
 * permutation (the seed's stream after the split's), so it never shares a sample with the test set.
 */
import type { LabeledSamples, ModelImageShape } from '@gradswarm/core';
import {
  applyScaler,
  fingerprint,
  fitScaler,
  loadDataset,
  splitTrainTest,
  type CsvOptions,
  type Scaler,
  type ScalerKind,
} from '@gradswarm/data';
import { UsageError } from './errors.js';

export interface DataFlags {
  dataset: string;
  test?: string;
  testFraction: number;
  scale: ScalerKind;
  labelColumn?: string;
  header?: string;
  validationFraction?: number;
  classNames?: string;
  seed: number;
}

export interface LoadedData {
  readonly train: LabeledSamples;
  readonly test: LabeledSamples | null;
  /** Held out of the training set by --validation-fraction; null without it. */
  readonly validation: LabeledSamples | null;
  readonly scaler: Scaler;
  /** One name per class (--class-names, or a CSV's string labels), or undefined. */
  readonly classNames: readonly string[] | undefined;
  /** The input's image geometry when the data set is images (MNIST, IDX, the UCI digits). */
  readonly image: ModelImageShape | undefined;
  /** Fingerprint of the whole --dataset as loaded (before any split): what eval compares. */
  readonly datasetFingerprint: string;
  /** One line each saying where the data came from, for the log. */
  readonly description: string[];
  readonly trainFingerprint: string;
}

/** CSV options from the --label-column and --header flags. */
export function csvOptionsFromFlags(flags: { labelColumn?: string; header?: string }): CsvOptions {
  const options: CsvOptions = {};
  if (flags.labelColumn !== undefined) {
    const v = flags.labelColumn;
    if (v === 'first' || v === 'last') options.labelColumn = v;
    else if (/^\d+$/.test(v)) options.labelColumn = Number(v);
    else throw new UsageError(`--label-column must be first, last or a 0-based column number, got "${v}"`);
  }
  if (flags.header !== undefined) {
    const v = flags.header;
    if (v === 'auto') options.header = 'auto';
    else if (v === 'yes' || v === 'true') options.header = true;
    else if (v === 'no' || v === 'false') options.header = false;
    else throw new UsageError(`--header must be auto, yes or no, got "${v}"`);
  }
  return options;
}

/** The seed of the validation split: a stream of its own, so it differs from the test split's. */
const validationSeed = (seed: number): number => (seed + 1) >>> 0;

/** --class-names: one name per class, or a clear refusal. */
function parseClassNames(text: string | undefined, classCount: number, fromFile: readonly string[] | undefined) {
  if (text === undefined) return fromFile;
  if (fromFile !== undefined) {
    throw new UsageError(
      `--class-names is given but the CSV names its classes itself (${fromFile.slice(0, 3).join(', ')}, …) - help: leave --class-names out`,
    );
  }
  const names = String(text)
    .split(',')
    .map((n) => n.trim());
  if (names.length !== classCount || names.some((n) => n === '')) {
    throw new UsageError(
      `--class-names must name all ${classCount} classes, got ${names.length} name${names.length === 1 ? '' : 's'} ("${text}") - help: e.g. --class-names ${Array.from({ length: Math.min(classCount, 3) }, (_, i) => `name${i}`).join(',')}${classCount > 3 ? ',…' : ''}`,
    );
  }
  return names;
}

/** The image geometry of a data set's samples, where the kind of data says it. */
function imageShapeOf(spec: string, featureCount: number): ModelImageShape | undefined {
  const kind = spec.trim().split(':')[0];
  const side = Math.round(Math.sqrt(featureCount));
  const square = side * side === featureCount;
  return (kind === 'mnist' || kind === 'idx' || kind === 'digits') && square
    ? { width: side, height: side }
    : undefined;
}

/** Splits `part` by `fraction`, refusing a split that leaves a side empty. */
function splitOrRefuse(part: LabeledSamples, fraction: number, seed: number, flag: string, total: number) {
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`--${flag} must be in (0, 1), got ${fraction}`);
  const split = splitTrainTest(part, fraction, seed);
  if (split.train.count === 0 || split.test.count === 0) {
    throw new UsageError(
      `--${flag} ${fraction} of ${total} samples leaves ${split.train.count} to train and ${split.test.count} held out - help: use more data or another --${flag}`,
    );
  }
  return split;
}

/** Loads, splits (seeded, when there is no --test) and scales the data. */
export function loadTrainingData(flags: DataFlags): LoadedData {
  const csv = csvOptionsFromFlags(flags);
  const full = loadDataset(flags.dataset, { ...csv, role: 'train' });
  const description = [
    `data: ${full.source}, ${full.count} samples x ${full.featureCount} features, ${full.classCount} classes`,
  ];
  let train: LabeledSamples = full;
  let test: LabeledSamples | null = null;
  if (flags.test !== undefined) {
    // A test CSV with string labels maps them by the training file's names.
    const names = full.classNames === undefined ? {} : { classNames: full.classNames };
    const t = loadDataset(flags.test, { ...csv, ...names, role: 'test' });
    if (t.featureCount !== full.featureCount) {
      throw new UsageError(
        `--test has ${t.featureCount} features but --dataset has ${full.featureCount} - help: point --test at the same kind of data`,
      );
    }
    test = t;
    description.push(`test: ${t.source}, ${t.count} samples`);
  } else {
    const split = splitOrRefuse(full, flags.testFraction, flags.seed, 'test-fraction', full.count);
    train = split.train;
    test = split.test;
    description.push(
      `split: ${train.count} train / ${test.count} test (seeded, --test-fraction ${flags.testFraction})`,
    );
  }
  let validation: LabeledSamples | null = null;
  if (flags.validationFraction !== undefined) {
    const split = splitOrRefuse(
      train,
      flags.validationFraction,
      validationSeed(flags.seed),
      'validation-fraction',
      train.count,
    );
    train = split.train;
    validation = split.test;
    description.push(
      `validation: ${validation.count} of the training samples held out (seeded, --validation-fraction ${flags.validationFraction}), ${train.count} left to train`,
    );
  }
  // Classes present only in the test set still need an output unit.
  const classCount = Math.max(train.classCount, test?.classCount ?? 0, validation?.classCount ?? 0);
  const scaler = fitScaler(flags.scale, train);
  const scaled = (s: LabeledSamples): LabeledSamples => ({
    ...(flags.scale === 'none' ? s : applyScaler(scaler, s)),
    classCount,
  });
  const scaledTrain = scaled(train);
  return {
    train: scaledTrain,
    test: test && scaled(test),
    validation: validation && scaled(validation),
    scaler,
    classNames: parseClassNames(flags.classNames, classCount, full.classNames),
    image: imageShapeOf(flags.dataset, full.featureCount),
    description,
    trainFingerprint: fingerprint(scaledTrain),
    datasetFingerprint: fingerprint(full),
  };
}
