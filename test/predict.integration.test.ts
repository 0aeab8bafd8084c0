/**
 * `gradswarm predict` end to end (issue 14, item 2): a model trained here (a real `train`
 * process on the UCI digits) classifies PNG and JPEG pictures written from the data set's own
 * images, a folder of them, CSV rows and an IDX file, in text and --json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEmbeddedMnist, readDigits } from '@gradswarm/data';
import { encodeGrayPng } from '@gradswarm/report';
import jpeg from 'jpeg-js';
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

interface Prediction {
  input: string;
  label?: number;
  inverted?: boolean;
  top: { class: number; probability: number }[];
}
interface PredictDocument {
  preparation: string;
  predictions: Prediction[];
}

/** Samples of the digits set used as pictures: the first of each class. */
const PICKED = 10;
let dir: string;
let modelPath: string;
let labels: number[];
let pixels: Uint8Array[];

/** A picture's bytes: each digits pixel (0…1) as a grey byte, optionally enlarged by `zoom` and inverted. */
function picture(sample: Uint8Array, zoom: number, invert: boolean): { width: number; data: Uint8Array } {
  const width = 8 * zoom;
  const data = new Uint8Array(width * width);
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) {
      const v = sample[Math.floor(y / zoom) * 8 + Math.floor(x / zoom)];
      data[y * width + x] = invert ? 255 - v : v;
    }
  return { width, data };
}

async function predict(args: string[]): Promise<PredictDocument> {
  const result = await runCli(['predict', '--model', modelPath, '--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PredictDocument;
}

beforeAll(async () => {
  if (NO_DIGITS) return;
  dir = await makeTempDir();
  modelPath = join(dir, 'model.json');
  // Reproducible and seeded, trained on the whole set: the picked samples are training samples the model fits.
  const result = await runCli([
    'train',
    '--dataset',
    DIGITS_SPEC,
    '--test',
    DIGITS_SPEC,
    '--epochs',
    '20',
    '--scale',
    'standard',
    '--threads',
    '1',
    '--reproducible',
    '--seed',
    '3',
    '--out',
    modelPath,
  ]);
  expect(result.code, result.stderr).toBe(0);
  const digits = readDigits(DIGITS_FILE);
  labels = [];
  pixels = [];
  for (let i = 0; labels.length < PICKED; i++) {
    const label = digits.labels[i];
    if (labels.includes(label)) continue;
    labels.push(label);
    pixels.push(Uint8Array.from(digits.features.subarray(i * 64, (i + 1) * 64), (v) => Math.round(v * 255)));
  }
  await mkdir(join(dir, 'png'));
  await mkdir(join(dir, 'big'));
  for (let k = 0; k < PICKED; k++) {
    const name = `${k}-label${labels[k]}`;
    await writeFile(join(dir, 'png', `${name}.png`), encodeGrayPng(8, 8, picture(pixels[k], 1, false).data));
    // 32×32, dark on light, as a JPEG: resized back to 8×8 and inverted by predict.
    const big = picture(pixels[k], 4, true);
    const rgba = new Uint8Array(big.data.length * 4);
    big.data.forEach((v, i) => rgba.set([v, v, v, 255], 4 * i));
    await writeFile(
      join(dir, 'big', `${name}.jpg`),
      jpeg.encode({ data: rgba, width: big.width, height: big.width }, 95).data,
    );
  }
}, 120_000);

afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

describe.skipIf(NO_DIGITS)('gradswarm predict', () => {
  it('returns their labels for PNGs made from the data set’s own images', async () => {
    const doc = await predict(['--input', join(dir, 'png'), '--top', '3']);
    expect(doc.predictions.map((p) => p.top[0].class)).toEqual(labels);
    for (const p of doc.predictions) {
      expect(p.top).toHaveLength(3);
      expect(p.top[0].probability).toBeGreaterThan(0.5);
      expect(p.top[0].probability).toBeGreaterThanOrEqual(p.top[1].probability);
      expect(p.inverted).toBe(false);
    }
    expect(doc.preparation).toMatch(/8×8 greyscale, pixel\/255 in \[0, 1\], then the model's standard scaling/);
  });

  it('resizes and inverts dark-on-light JPEGs and still returns the labels', async () => {
    const doc = await predict(['--input', join(dir, 'big'), '--top', '1']);
    expect(doc.predictions.map((p) => p.top[0].class)).toEqual(labels);
    expect(doc.predictions.every((p) => p.inverted === true)).toBe(true);
    expect(doc.preparation).toMatch(/area-resized from 32×32/);
  });

  it('classifies one file and prints the top classes as text', async () => {
    const file = join(dir, 'png', `0-label${labels[0]}.png`);
    const result = await runCli(['predict', '--model', modelPath, '--input', file, '--top', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/prepared as 8×8 greyscale/);
    expect(result.stdout).toMatch(
      new RegExp(`label${labels[0]}\\.png  ${labels[0]} \\d+\\.\\d\\d%  \\d \\d+\\.\\d\\d%`),
    );
  });

  it('reads CSV rows with the label column and reports the label beside the prediction', async () => {
    const csv = join(dir, 'rows.csv');
    await writeFile(csv, pixels.map((p, k) => `${Array.from(p, (v) => v / 255).join(',')},${labels[k]}`).join('\n'));
    const doc = await predict(['--input', csv]);
    expect(doc.predictions.map((p) => p.label)).toEqual(labels);
    expect(doc.predictions.map((p) => p.top[0].class)).toEqual(labels);
  });

  it('reads an IDX images file', async () => {
    const idx = join(dir, 'images-idx3-ubyte');
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(PICKED, 4);
    header.writeUInt32BE(8, 8);
    header.writeUInt32BE(8, 12);
    await writeFile(idx, Buffer.concat([header, ...pixels]));
    const doc = await predict(['--input', idx]);
    expect(doc.predictions.map((p) => p.top[0].class)).toEqual(labels);
  });

  it('refuses an input that is no picture, with a hint', async () => {
    const bad = join(dir, 'bad.png');
    await writeFile(bad, 'not a picture');
    expectUsageError(
      await runCli(['predict', '--model', modelPath, '--input', bad]),
      /bad\.png: not a PNG or JPEG file .* - help: /,
    );
  });

  it('refuses CSV rows of the wrong width', async () => {
    const csv = join(dir, 'narrow.csv');
    await writeFile(csv, '1,2,3\n4,5,6\n');
    expectUsageError(
      await runCli(['predict', '--model', modelPath, '--input', csv]),
      /has 3 columns but the model takes 64 inputs - help: /,
    );
  });
});

describe('gradswarm predict on MNIST-like 28×28 pictures', () => {
  const COUNT = 20;
  let mnistDir: string;
  let mnistModel: string;
  let mnistLabels: number[];

  beforeAll(async () => {
    mnistDir = await makeTempDir();
    mnistModel = join(mnistDir, 'mnist.json');
    const result = await runCli([
      'train',
      '--dataset',
      'mnist',
      '--layers',
      '64',
      '--epochs',
      '4',
      '--threads',
      '1',
      '--reproducible',
      '--seed',
      '2',
      '--out',
      mnistModel,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const mnist = loadEmbeddedMnist();
    mnistLabels = Array.from(mnist.labels.subarray(0, COUNT));
    const bytes = Uint8Array.from(mnist.features.subarray(0, COUNT * 784), (v) => Math.round(v * 255));
    await mkdir(join(mnistDir, 'png'));
    for (let k = 0; k < COUNT; k++)
      await writeFile(
        join(mnistDir, 'png', `${String(k).padStart(2, '0')}.png`),
        encodeGrayPng(28, 28, bytes, k * 784),
      );
    const header = Buffer.alloc(16);
    [0x00000803, COUNT, 28, 28].forEach((v, i) => header.writeUInt32BE(v, 4 * i));
    await writeFile(join(mnistDir, 'images-idx3-ubyte'), Buffer.concat([header, bytes]));
  }, 120_000);

  afterAll(async () => {
    if (mnistDir) await removeTempDir(mnistDir);
  });

  it('prepares a PNG of a data-set image exactly as the loader prepared the image, and returns the labels', async () => {
    const run = async (input: string) => {
      const result = await runCli(['predict', '--model', mnistModel, '--input', input, '--json', '--top', '10']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as PredictDocument;
    };
    const png = await run(join(mnistDir, 'png'));
    const idx = await run(join(mnistDir, 'images-idx3-ubyte'));
    expect(png.preparation).toMatch(/^28×28 greyscale, pixel\/255 in \[0, 1\]/);
    // Bit-identical inputs give bit-identical probabilities.
    expect(png.predictions.map((p) => p.top)).toEqual(idx.predictions.map((p) => p.top));
    expect(png.predictions.map((p) => p.top[0].class)).toEqual(mnistLabels);
  });
});
