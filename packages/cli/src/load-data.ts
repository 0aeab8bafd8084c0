/**
 * Turns the data flags (--dataset, --test, --test-fraction, --scale, --label-column, --header)
 * into a training set and an optional test set, scaled with parameters fitted on training data.
 */
import type { LabeledSamples } from '@gradswarm/core';
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
  seed: number;
}

export interface LoadedData {
  readonly train: LabeledSamples;
  readonly test: LabeledSamples | null;
  readonly scaler: Scaler;
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
    const t = loadDataset(flags.test, { ...csv, role: 'test' });
    if (t.featureCount !== full.featureCount) {
      throw new UsageError(
        `--test has ${t.featureCount} features but --dataset has ${full.featureCount} - help: point --test at the same kind of data`,
      );
    }
    test = t;
    description.push(`test: ${t.source}, ${t.count} samples`);
  } else {
    if (!(flags.testFraction > 0 && flags.testFraction < 1)) {
      throw new UsageError(`--test-fraction must be in (0, 1), got ${flags.testFraction}`);
    }
    const split = splitTrainTest(full, flags.testFraction, flags.seed);
    train = split.train;
    test = split.test;
    if (train.count === 0 || test.count === 0) {
      throw new UsageError(
        `--test-fraction ${flags.testFraction} of ${full.count} samples leaves ${train.count} to train and ${test.count} to test - help: use more data, another --test-fraction, or --test SPEC`,
      );
    }
    description.push(
      `split: ${train.count} train / ${test.count} test (seeded, --test-fraction ${flags.testFraction})`,
    );
  }
  // Classes present only in the test set still need an output unit.
  const classCount = Math.max(train.classCount, test?.classCount ?? 0);
  const scaler = fitScaler(flags.scale, train);
  const scaled = (s: LabeledSamples): LabeledSamples => ({
    ...(flags.scale === 'none' ? s : applyScaler(scaler, s)),
    classCount,
  });
  const scaledTrain = scaled(train);
  return {
    train: scaledTrain,
    test: test && scaled(test),
    scaler,
    description,
    trainFingerprint: fingerprint(scaledTrain),
  };
}
