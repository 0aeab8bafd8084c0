import { describe, expect, it } from 'vitest';
import { resolveTrainingOptions } from '@gradswarm/coordinator';
import { defaultTrainThreads, MIN_SAMPLES_PER_THREAD } from '../src/run-training.js';

describe('defaultTrainThreads', () => {
  it('gives each thread at least MIN_SAMPLES_PER_THREAD samples of a minibatch, and at most the cores', () => {
    const threads = (options: Parameters<typeof resolveTrainingOptions>[0], samples: number, cores: number): number =>
      defaultTrainThreads(cores, resolveTrainingOptions(options), samples);
    expect(MIN_SAMPLES_PER_THREAD).toBe(200);
    expect(threads({}, 8000, 2)).toBe(1); // the default batch of 50
    expect(threads({ batchSize: 399 }, 8000, 2)).toBe(1);
    expect(threads({ batchSize: 400 }, 8000, 2)).toBe(2);
    expect(threads({ batchSize: 1000 }, 8000, 2)).toBe(2);
    expect(threads({ batchSize: 1000 }, 8000, 8)).toBe(5);
    expect(threads({ batchSize: 1000 }, 300, 8)).toBe(1); // a batch cannot exceed the data
    expect(threads({ minibatches: 10 }, 8000, 8)).toBe(4); // batches of 800
    expect(threads({ batchSize: 5000 }, 8000, 1)).toBe(1);
  });
});
