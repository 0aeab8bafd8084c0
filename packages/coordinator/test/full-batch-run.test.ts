import { describe, expect, it } from 'vitest';
import { evaluate, referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource, type GradientRequest, type GradientSource, type ShardStats } from '@gradswarm/worker';
import { Trainer, type StepInfo } from '../src/trainer.js';
import { resolveTrainingOptions } from '../src/training-options.js';

const spec: ModelSpec = { layers: [6, 5, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };

function data(count = 47): LabeledSamples {
  const rng = new Rng(5);
  const labels = Int32Array.from({ length: count }, () => rng.nextInt(3));
  return {
    features: Float32Array.from(
      { length: count * 6 },
      (_, i) => (i % 6 === labels[Math.floor(i / 6)] ? 1 : 0) + rng.uniform(-0.5, 0.5),
    ),
    labels,
    count,
    featureCount: 6,
    classCount: 3,
  };
}

/** Records the samples and weights versions each request covers. */
class RecordingSource implements GradientSource {
  readonly label: string;
  readonly threads = 1;
  readonly backend = 'reference';
  readonly requests: { version: number; samples: number }[] = [];
  constructor(
    private readonly inner: GradientSource,
    n: number,
  ) {
    this.label = `rec${n}`;
  }
  compute(request: GradientRequest): Promise<ShardStats[]> {
    const samples = request.shards.reduce((s, r) => s + r.count, 0);
    this.requests.push({ version: request.task.weightsVersion, samples });
    return this.inner.compute(request);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function train(optimizer: 'cg' | 'lbfgs' | 'tnc', sourceCount: number, extra = {}) {
  const d = data();
  const sources = Array.from(
    { length: sourceCount },
    (_, i) => new RecordingSource(new InProcessSource({ spec, data: d, backend: referenceBackend }), i),
  );
  const trainer = new Trainer(spec, d, sources, { optimizer, maxIterations: 20, reproducible: 4, seed: 2, ...extra });
  const steps: StepInfo[] = [];
  const epochs: number[] = [];
  const result = await trainer.run({ onStep: (s) => void steps.push(s), onEpoch: (e) => void epochs.push(e.epoch) });
  return { trainer, result, steps, epochs, sources, d };
}

describe('Trainer with a full-batch optimizer', () => {
  it.each(['cg', 'lbfgs', 'tnc'] as const)(
    '%s: one step and epoch per iteration, J falling, every evaluation a step over all samples with its own weights version',
    async (optimizer) => {
      const { result, steps, epochs, sources, d } = await train(optimizer, 3);
      expect(result.steps).toBe(steps.length);
      expect(epochs).toEqual(steps.map((s) => s.step));
      for (let k = 1; k < steps.length; k++) expect(steps[k].cost).toBeLessThan(steps[k - 1].cost);
      expect(steps.at(-1)!.evaluations).toBe(result.fullBatch!.evaluations);
      // Per weights version, the sources together were asked for every sample exactly once.
      const perVersion = new Map<number, number>();
      for (const s of sources)
        for (const r of s.requests) perVersion.set(r.version, (perVersion.get(r.version) ?? 0) + r.samples);
      expect([...perVersion.keys()]).toEqual(Array.from({ length: result.fullBatch!.evaluations }, (_, i) => i));
      for (const samples of perVersion.values()) expect(samples).toBe(d.count);
      // The run's J is the cost evaluate() computes at the weights it ends with.
      const at = evaluate(referenceBackend, spec, result.params, d, resolveTrainingOptions({}).cost);
      expect(result.finalCost).toBeCloseTo(at.cost, 5);
    },
  );

  it.each(['cg', 'lbfgs', 'tnc'] as const)(
    '%s, reproducible: the same weights for 1, 2 and 3 sources, bit for bit',
    async (optimizer) => {
      const one = await train(optimizer, 1);
      for (const count of [2, 3]) {
        const other = await train(optimizer, count);
        expect(other.result.fullBatch).toEqual(one.result.fullBatch);
        expect(bytes(other.result.params).equals(bytes(one.result.params)), `${count} sources`).toBe(true);
      }
    },
  );

  it('stops at maxEvaluations and early when endAfterEpoch is called', async () => {
    const capped = await train('cg', 2, { maxEvaluations: 5 });
    expect(capped.result.fullBatch!.reason).toBe('max-evaluations');
    expect(capped.result.fullBatch!.evaluations).toBeGreaterThanOrEqual(5);
    const d = data();
    const trainer = new Trainer(spec, d, [new InProcessSource({ spec, data: d, backend: referenceBackend })], {
      optimizer: 'cg',
      maxIterations: 20,
    });
    const result = await trainer.run({ onEpoch: (e) => (e.epoch === 2 ? trainer.endAfterEpoch() : undefined) });
    expect(result.steps).toBe(3);
    expect(result.interrupted).toBe(false);
    expect(result.fullBatch!.reason).toBe('stopped');
  });
});

describe('resolveTrainingOptions for a full-batch optimizer', () => {
  it('makes the whole set one unshuffled batch and each iteration an epoch', () => {
    const o = resolveTrainingOptions({ optimizer: 'lbfgs', maxIterations: 7, history: 4, gtol: 1e-6 });
    expect(o).toMatchObject({ optimizer: 'lbfgs', epochs: 7, minibatches: 1, batchSize: undefined, shuffle: false });
    expect(o.fullBatch).toEqual({ gtol: 1e-6, history: 4, maxIterations: 7, maxEvaluations: undefined });
    expect(resolveTrainingOptions({ optimizer: 'cg' }).fullBatch!.maxIterations).toBe(100);
    expect(resolveTrainingOptions({}).fullBatch).toBeUndefined();
  });

  it.each([
    [{ optimizer: 'cg', batchSize: 10 }, /options.batchSize is for the minibatch optimizers, not cg/],
    [{ optimizer: 'tnc', learningRate: 0.1 }, /options.learningRate is for the minibatch optimizers/],
    [{ optimizer: 'cg', history: 3 }, /options.history is for lbfgs, not cg/],
    [{ optimizer: 'sgd', maxIterations: 3 }, /options.maxIterations is for the full-batch optimizers/],
    [{ optimizer: 'lbfgs', maxIterations: 0 }, /options.maxIterations must be a positive integer/],
    [{ optimizer: 'lbfgs', gtol: -1 }, /options.gtol must be a finite number >= 0/],
    [{ optimizer: 'bfgs' }, /options.optimizer must be one of sgd, adam, adamw, cg, lbfgs, tnc/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveTrainingOptions(options as never)).toThrow(message);
  });
});
