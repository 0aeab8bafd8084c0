/**
 * `gradswarm eval` end to end: a model written by `train --out` evaluated on known data sets,
 * its --json line, agreement with train's own test figures, MNIST t10k, and its refusals.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectUsageError,
  lastJsonLine,
  makeTempDir,
  MNIST_T10K_DIR,
  NO_MNIST_T10K,
  blobsFlags,
  removeTempDir,
  runCli,
  writeBlobsCsv,
} from './helpers/cli.js';

interface EvalSummary {
  cost: number;
  accuracy: number;
  confusion: number[][];
  samples: number;
}

interface TrainSummary {
  testAccuracy: number;
}

let dir: string;
let trainCsv: string;
let testCsv: string;
let modelPath: string;
let trainSummary: TrainSummary;
let trainTestCost: number;
const TEST_ROWS = 60;
const CLASSES = 3;
const L2 = '0.0001';

beforeAll(async () => {
  dir = await makeTempDir();
  trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  modelPath = join(dir, 'model.json');
  await writeBlobsCsv(trainCsv, { rows: 150, seed: 1 });
  await writeBlobsCsv(testCsv, { rows: TEST_ROWS, seed: 2 });
  // Few epochs on purpose: a model that is not yet perfect makes the agreement test meaningful.
  const metricsPath = join(dir, 'metrics.json');
  const result = await runCli([
    'train',
    '--dataset',
    `csv:${trainCsv}`,
    '--test',
    `csv:${testCsv}`,
    ...blobsFlags({ l2: L2 }),
    '--epochs',
    '2',
    '--batch-size',
    '30',
    '--out',
    modelPath,
    '--metrics',
    metricsPath,
    '--json',
  ]);
  expect(result.code, result.stderr).toBe(0);
  trainSummary = lastJsonLine<TrainSummary>(result.stdout);
  const metrics = JSON.parse(await readFile(metricsPath, 'utf8')) as { epochs: Array<{ testCost: number }> };
  trainTestCost = metrics.epochs[metrics.epochs.length - 1].testCost;
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm eval', () => {
  describe('--json', () => {
    it('prints a last line with cost, accuracy, a square confusion matrix summing to the samples, and samples', async () => {
      const result = await runCli(['eval', '--model', modelPath, '--dataset', `csv:${testCsv}`, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const ev = lastJsonLine<EvalSummary>(result.stdout);
      expect(ev.samples).toBe(TEST_ROWS);
      expect(Number.isFinite(ev.cost)).toBe(true);
      expect(ev.cost).toBeGreaterThan(0);
      expect(ev.accuracy).toBeGreaterThanOrEqual(0);
      expect(ev.accuracy).toBeLessThanOrEqual(1);
      expect(ev.confusion).toHaveLength(CLASSES);
      for (const row of ev.confusion) expect(row).toHaveLength(CLASSES);
      const cells = ev.confusion.flat();
      expect(cells.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      expect(cells.reduce((a, b) => a + b, 0)).toBe(TEST_ROWS);
      // Rows are true classes: the blobs file has classes in turn, 20 rows each.
      expect(ev.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([20, 20, 20]);
      const diagonal = ev.confusion.reduce((sum, row, i) => sum + row[i], 0);
      expect(ev.accuracy).toBe(diagonal / TEST_ROWS);
    });
  });

  describe('agreement with train', () => {
    it("reports the same accuracy and cost as train's figures for its --test set", async () => {
      const result = await runCli(['eval', '--model', modelPath, '--dataset', `csv:${testCsv}`, '--l2', L2, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const ev = lastJsonLine<EvalSummary>(result.stdout);
      expect(ev.accuracy).toBe(trainSummary.testAccuracy);
      expect(ev.cost).toBeCloseTo(trainTestCost, 6);
    });

    it("reports the same accuracy as train's testAccuracy for a model trained with --scale standard", async () => {
      // eval is given only the raw data file, so the scaling fitted by train must travel with the
      // model (or eval must refuse it); evaluating unscaled inputs silently gives wrong figures.
      // Features around 1000 with spread 100: a model only learns them after scaling.
      const rawTrain = join(dir, 'raw-train.csv');
      const rawTest = join(dir, 'raw-test.csv');
      await writeBlobsCsv(rawTrain, { rows: 150, seed: 1, offset: 1000, scale: 100 });
      await writeBlobsCsv(rawTest, { rows: TEST_ROWS, seed: 2, offset: 1000, scale: 100 });
      const scaledModel = join(dir, 'scaled-model.json');
      const trained = await runCli([
        'train',
        '--dataset',
        `csv:${rawTrain}`,
        '--test',
        `csv:${rawTest}`,
        ...blobsFlags({ scale: 'standard' }),
        '--epochs',
        '5',
        '--batch-size',
        '30',
        '--out',
        scaledModel,
        '--json',
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const summary = lastJsonLine<TrainSummary>(trained.stdout);
      expect(summary.testAccuracy).toBeGreaterThan(0.9);
      const result = await runCli(['eval', '--model', scaledModel, '--dataset', `csv:${rawTest}`, '--json']);
      if (result.code === 2) {
        // Refusing a model whose scaling it cannot reproduce is also acceptable.
        expectUsageError(result, /scal/i);
        return;
      }
      expect(result.code, result.stderr).toBe(0);
      expect(lastJsonLine<EvalSummary>(result.stdout).accuracy).toBe(summary.testAccuracy);
    });
  });

  describe('MNIST t10k', () => {
    it.skipIf(NO_MNIST_T10K)('evaluates a model trained on the embedded mnist on all 10000 t10k digits', async () => {
      const mnistModel = join(dir, 'mnist-model.json');
      const trained = await runCli([
        'train',
        '--dataset',
        'mnist',
        '--layers',
        '16',
        '--hidden',
        'sigmoid',
        '--output',
        'softmax',
        '--init',
        'glorot',
        '--lr',
        '0.1',
        '--batch-size',
        '50',
        '--epochs',
        '1',
        '--out',
        mnistModel,
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const result = await runCli(['eval', '--model', mnistModel, '--dataset', `idx:${MNIST_T10K_DIR}`, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const ev = lastJsonLine<EvalSummary>(result.stdout);
      expect(ev.samples).toBe(10000);
      expect(ev.confusion).toHaveLength(10);
      expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000);
      // One epoch already scores ~90%: the IDX reader scales pixels as the embedded set does.
      expect(ev.accuracy).toBeGreaterThan(0.8);
    });
  });

  describe('refusals', () => {
    it('refuses a missing model file', async () => {
      const missing = join(dir, 'no-such-model.json');
      const result = await runCli(['eval', '--model', missing, '--dataset', `csv:${testCsv}`]);
      expectUsageError(result, /cannot read model .*no-such-model\.json/);
    });

    it('refuses a model whose weights do not match its layers', async () => {
      const model = JSON.parse(await readFile(modelPath, 'utf8')) as { weights: number[][] };
      model.weights[0].pop();
      const bad = join(dir, 'short-weights.json');
      await writeFile(bad, JSON.stringify(model));
      const result = await runCli(['eval', '--model', bad, '--dataset', `csv:${testCsv}`]);
      expectUsageError(result, /short-weights\.json: weights\[0\] must hold/);
    });

    it('refuses a file that is not JSON', async () => {
      const bad = join(dir, 'not-json.json');
      await writeFile(bad, '{not json');
      const result = await runCli(['eval', '--model', bad, '--dataset', `csv:${testCsv}`]);
      expectUsageError(result, /not-json\.json: not valid JSON/);
    });

    it('refuses JSON of another format', async () => {
      const bad = join(dir, 'other-format.json');
      await writeFile(bad, JSON.stringify({ format: 'something-else' }));
      const result = await runCli(['eval', '--model', bad, '--dataset', `csv:${testCsv}`]);
      expectUsageError(result, /"format" must be "gradswarm-mlp"/);
    });

    it('refuses a data set with a different number of features than the model takes', async () => {
      const wide = join(dir, 'four-features.csv');
      await writeBlobsCsv(wide, { rows: 8, classes: 4 });
      const result = await runCli(['eval', '--model', modelPath, '--dataset', `csv:${wide}`]);
      expectUsageError(result, /takes 3 inputs but .*four-features\.csv has 4 features/);
    });

    it('refuses to run without --dataset, naming the missing flag', async () => {
      const result = await runCli(['eval', '--model', modelPath]);
      expectUsageError(result, /missing required argument: dataset/i);
    });

    it('refuses to run without --model, naming the missing flag', async () => {
      const result = await runCli(['eval', '--dataset', `csv:${testCsv}`]);
      expectUsageError(result, /missing required argument: model/i);
    });
  });
});
