import { describe, expect, it } from 'vitest';
import {
  GradswarmError,
  referenceBackend,
  Rng,
  type GradientStats,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import {
  computeShard,
  computeShardByShard,
  InProcessSource,
  type GradientRequest,
  type GradientSource,
  type ShardStats,
  type ShardTask,
} from '@gradswarm/worker';
import { StaticSourceProvider } from '../src/source-provider.js';
import { Trainer } from '../src/trainer.js';

const spec: ModelSpec = { layers: [5, 6, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };
const data: LabeledSamples = (() => {
  const rng = new Rng(8);
  return {
    features: Float32Array.from({ length: 47 * 5 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: 47 }, () => rng.nextInt(3)),
    count: 47,
    featureCount: 5,
    classCount: 3,
  };
})();
const options = { epochs: 3, batchSize: 12, learningRate: 0.2, seed: 2, reproducible: 4 };
const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A source that computes like the oracle but dies (as a lost worker) on the given step. */
class FlakySource implements GradientSource {
  readonly threads = 1;
  readonly backend = 'reference';
  calls = 0;
  constructor(
    readonly label: string,
    private readonly inner: GradientSource,
    private readonly dieAtVersion: number,
    private readonly code = 'GS_ERR_WORKER_LOST',
  ) {}
  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, (task, grad) => {
      this.calls++;
      if (task.weightsVersion >= this.dieAtVersion)
        return Promise.reject(new GradswarmError(this.code, `${this.label} disconnected`));
      return computeShard(this.inner, task, grad);
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const oracle = () => new InProcessSource({ spec, data, backend: referenceBackend });

describe('Trainer faults', () => {
  it('recomputes a lost source’s shards on the others within the step, bit-identically in reproducible mode', async () => {
    const reference = (await new Trainer(spec, data, [oracle()], options).run()).params;
    const flaky = new FlakySource('w1', oracle(), 5);
    const reassigned: number[] = [];
    const trainer = new Trainer(spec, data, [oracle(), flaky, oracle()], options);
    const result = await trainer.run({ onReassigned: (_s, _e, shards) => reassigned.push(...shards) });
    expect(bytes(result.params)).toEqual(bytes(reference));
    expect(reassigned.length).toBeGreaterThan(0);
    // once dropped, the flaky source gets no more shards
    expect(flaky.calls).toBe(6);
  });

  it('fails the run on an error that is not recoverable', async () => {
    const bug = new FlakySource('t0', oracle(), 2, 'GS_ERR_THREAD_FAILED');
    await expect(new Trainer(spec, data, [oracle(), bug], options).run()).rejects.toThrow('t0 disconnected');
  });

  it('fails with the last error when every source is lost', async () => {
    const a = new FlakySource('a', oracle(), 1);
    const b = new FlakySource('b', oracle(), 1);
    await expect(new Trainer(spec, data, new StaticSourceProvider([a, b]), options).run()).rejects.toThrow(
      /disconnected/,
    );
  });
});

describe('Trainer state', () => {
  it('resumes from a saved state to the same bits as an uninterrupted run', async () => {
    for (const opts of [options, { ...options, reproducible: undefined, nesterov: true, momentum: 0.8 }]) {
      const whole = (await new Trainer(spec, data, [oracle()], opts).run()).params;
      const first = new Trainer(spec, data, [oracle()], opts);
      await first.run({
        onStep: (s) => {
          if (s.step === 5) first.stop();
        },
      });
      const saved = first.state();
      expect(saved).toMatchObject({ epoch: 1, batch: 2, step: 6 });
      const second = new Trainer(spec, data, [oracle()], opts);
      second.restore(saved);
      const result = await second.run();
      expect(result.steps).toBe(12);
      expect(bytes(result.params)).toEqual(bytes(whole));
    }
  });

  it('refuses a state of another model', () => {
    const t = new Trainer(spec, data, [oracle()], options);
    expect(() => t.restore({ ...t.state(), params: new Float32Array(3) })).toThrow(/holds 3 parameters/);
  });
});

describe('Trainer reproducible mode with sources that split shards', () => {
  /** Like a remote machine: `sum` mode sums its "threads" (here: halves of each shard), `each` keeps shards whole. */
  class SplittingSource implements GradientSource {
    readonly label = 'machine';
    readonly threads = 2;
    readonly backend = 'reference';
    constructor(private readonly inner: GradientSource) {}
    compute(request: GradientRequest): Promise<ShardStats[]> {
      if (request.mode === 'each') return this.inner.compute(request);
      return computeShardByShard(request, (task, grad) => this.halves(task, grad));
    }
    private async halves(task: ShardTask, grad: Float32Array): Promise<GradientStats> {
      const half = Math.floor(task.count / 2);
      const a = await computeShard(this.inner, { ...task, count: half }, grad);
      const tmp = new Float32Array(grad.length);
      const b = await computeShard(this.inner, { ...task, offset: task.offset + half, count: task.count - half }, tmp);
      for (let i = 0; i < grad.length; i++) grad[i] += tmp[i];
      return { lossSum: a.lossSum + b.lossSum, count: a.count + b.count };
    }
    close(): Promise<void> {
      return Promise.resolve();
    }
  }

  it('asks for whole shards even when a source gets a single one (regression: 3 workers, 4 shards)', async () => {
    const reference = (await new Trainer(spec, data, [oracle()], options).run()).params;
    const machines = [0, 1, 2].map(() => new SplittingSource(oracle()));
    const result = await new Trainer(spec, data, machines, options).run();
    expect(bytes(result.params)).toEqual(bytes(reference));
  });
});
