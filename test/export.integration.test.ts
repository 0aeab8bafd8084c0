/**
 * `gradswarm export --format onnx` end to end (issue 14, item 3): a model trained by a real
 * `train` process (with standard input scaling) is exported by a real `export` process and run
 * by onnxruntime; its outputs match `gradswarm predict`'s to within 1e-5.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readDigits } from '@gradswarm/data';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIGITS_FILE,
  DIGITS_SPEC,
  expectUsageError,
  makeTempDir,
  NO_DIGITS,
  removeTempDir,
  runCli,
} from './helpers/cli.js';

const ROWS = 200;
let dir: string;

beforeAll(async () => {
  if (!NO_DIGITS) dir = await makeTempDir();
});
afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

describe.skipIf(NO_DIGITS)('gradswarm export --format onnx', () => {
  it('writes a graph onnxruntime runs with gradswarm predict’s outputs (max abs diff ≤ 1e-5)', async () => {
    const modelPath = join(dir, 'model.json');
    const onnxPath = join(dir, 'model.onnx');
    const train = await runCli([
      'train',
      '--dataset',
      DIGITS_SPEC,
      '--layers',
      '32,16',
      '--hidden',
      'tanh',
      '--epochs',
      '3',
      '--scale',
      'standard',
      '--threads',
      '1',
      '--out',
      modelPath,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const exported = await runCli(['export', '--model', modelPath, '--format', 'onnx', '--out', onnxPath]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(
      /wrote .*model\.onnx: ONNX opset 17, \d+ bytes; input "input" \[N, 64\] float32, standard scaling as Sub\/Mul nodes, then 3 Gemm layers, output "probabilities" \[N, 10\] \(softmax\)/,
    );

    const digits = readDigits(DIGITS_FILE);
    const x = digits.features.slice(0, ROWS * 64);
    const csv = join(dir, 'rows.csv');
    await writeFile(
      csv,
      Array.from({ length: ROWS }, (_, r) => Array.from(x.subarray(r * 64, (r + 1) * 64)).join(',')).join('\n'),
    );
    const predicted = await runCli(['predict', '--model', modelPath, '--input', csv, '--top', '10', '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const doc = JSON.parse(predicted.stdout) as { predictions: { top: { class: number; probability: number }[] }[] };

    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const out = (await session.run({ input: new ort.Tensor('float32', x, [ROWS, 64]) })).probabilities
      .data as Float32Array;
    let maxDiff = 0;
    doc.predictions.forEach((p, r) => {
      for (const c of p.top) maxDiff = Math.max(maxDiff, Math.abs(c.probability - out[r * 10 + c.class]));
    });
    expect(doc.predictions).toHaveLength(ROWS);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it('refuses a format it does not write', async () => {
    expectUsageError(
      await runCli(['export', '--model', 'm.json', '--format', 'tflite', '--out', 'x']),
      /--format got "tflite"|Invalid values/,
    );
  });
});
