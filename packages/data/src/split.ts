/**
 * Train/test splits and row subsets. The split permutation comes from its own Rng stream
 * (SPLIT_STREAM), so it depends on the seed alone and not on any other draw of the run.
 */
import { Rng, type LabeledSamples } from '@gradswarm/core';
import { SPLIT_STREAM } from './constants.js';

/**
 * The rows `indices` of `samples`, in that order (repeats allowed), as new arrays; classCount is kept.
 * @throws RangeError if an index is not an integer in [0, count)
 */
export function subset(samples: LabeledSamples, indices: ArrayLike<number>): LabeledSamples {
  const { featureCount, count: sourceCount } = samples;
  const count = indices.length;
  const features = new Float32Array(count * featureCount);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= sourceCount) {
      throw new RangeError(`indices[${i}] must be an integer in [0, ${sourceCount}), got ${r}`);
    }
    features.set(samples.features.subarray(r * featureCount, (r + 1) * featureCount), i * featureCount);
    labels[i] = samples.labels[r];
  }
  return { features, labels, count, featureCount, classCount: samples.classCount };
}

/**
 * Splits samples at random into a training and a test part: a seeded permutation of the rows,
 * whose first round(count · (1 − testFraction)) rows (in permutation order) are the training set
 * and the rest the test set. Either part may be empty for a very small set.
 * @param testFraction share of the test set, strictly between 0 and 1
 * @param seed any integer; the same seed gives the same split
 * @throws TypeError if seed is not an integer; RangeError if testFraction is not in (0, 1)
 */
export function splitTrainTest(
  samples: LabeledSamples,
  testFraction: number,
  seed: number,
): { train: LabeledSamples; test: LabeledSamples } {
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be a number in (0, 1), got ${String(testFraction)}`);
  }
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${String(seed)}`);
  const order = Rng.derive(seed, SPLIT_STREAM).permutation(samples.count);
  const trainCount = Math.round(samples.count * (1 - testFraction));
  return {
    train: subset(samples, order.subarray(0, trainCount)),
    test: subset(samples, order.subarray(trainCount)),
  };
}
