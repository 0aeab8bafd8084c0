import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type GradientStats, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import {
  computeEach,
  computeShard,
  computeShardByShard,
  computeSum,
  InProcessSource,
  type GradientRequest,
  type GradientSource,
  type ShardRange,
  type ShardStats,
  type ShardTask,
} from '@gradswarm/worker';
import { ResultScreen } from '../src/result-screen.js';
import { runStep, type StepPlan } from '../src/scheduler.js';
import { StaticSourceProvider } from '../src/source-provider.js';
import { Trainer } from '../src/trainer.js';

const spec: ModelSpec = { layers: [5, 6, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };
function makeData(count: number): LabeledSamples {
  const rng = new Rng(8);
  return {
    features: Float32Array.from({ length: count * 5 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 5,
    classCount: 3,
  };
}
const data = makeData(47);
const options = { epochs: 3, batchSize: 12, learningRate: 0.2, seed: 2, reproducible: 4 };
const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const oracle = (d = data): InProcessSource => new InProcessSource({ spec, data: d, backend: referenceBackend });

/** A remote worker's stand-in: computes honestly, then `poison` may change what it sends. */
class RogueSource implements GradientSource {
  readonly threads = 1;
  readonly backend = 'reference';
  calls = 0;
  constructor(
    readonly label: string,
    private readonly inner: GradientSource,
    private readonly poison: (task: ShardTask, grad: Float32Array, stats: GradientStats) => GradientStats = (
      _t,
      _g,
      s,
    ) => s,
  ) {}
  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, async (task, grad) => {
      this.calls++;
      const stats = await computeShard(this.inner, task, grad);
      return this.poison(task, grad, { lossSum: stats.lossSum, count: stats.count });
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Fixed sources, some untrusted (as remote workers are); records failures and log lines. */
class TestProvider extends StaticSourceProvider {
  readonly failures: Array<{ label: string; code: string; message: string }> = [];
  readonly lines: string[] = [];
  constructor(
    sources: readonly GradientSource[],
    private readonly untrusted: ReadonlySet<GradientSource>,
  ) {
    super(sources);
  }
  override failed(source: GradientSource, error: unknown): void {
    const e = error as { code: string; message: string };
    this.failures.push({ label: source.label, code: e.code, message: e.message });
    super.failed(source, error);
  }
  trusted(source: GradientSource): boolean {
    return !this.untrusted.has(source);
  }
  log(line: string): void {
    this.lines.push(line);
  }
}

const times1e30 = (_t: ShardTask, grad: Float32Array, s: GradientStats): GradientStats => {
  for (let j = 0; j < grad.length; j++) grad[j] *= 1e30;
  return s;
};

describe('result checks in the trainer (issue 16 item 18)', () => {
  const reference = async (): Promise<Buffer> =>
    bytes((await new Trainer(spec, data, [oracle()], options).run()).params);

  for (const [name, poison] of [
    ['multiplies its gradient by 1e30', times1e30],
    ['sends a loss sum of 1e300', (_t: ShardTask, _g: Float32Array, s: GradientStats) => ({ ...s, lossSum: 1e300 })],
    ['sends an all-zero gradient', (_t: ShardTask, g: Float32Array, s: GradientStats) => (g.fill(0), s)],
  ] as const) {
    it(`drops a worker that ${name} from step 3 on, and the model is byte-identical to one source's`, async () => {
      const rogue = new RogueSource('rogue', oracle(), (t, g, s) => (t.weightsVersion >= 2 ? poison(t, g, s) : s));
      const honest = new RogueSource('honest', oracle());
      const provider = new TestProvider([oracle(), rogue, honest], new Set([rogue, honest]));
      const result = await new Trainer(spec, data, provider, options).run();
      expect(bytes(result.params)).toEqual(await reference());
      expect(provider.failures.map((f) => [f.label, f.code])).toEqual([['rogue', 'GS_ERR_RESULT_DISAGREES']]);
      expect(provider.failures[0].message).toMatch(/^local's recomputation of shard \d of step 3 disagrees: /);
      // Step 3 is the rogue's last: it gets no shard after it was dropped.
      expect(rogue.calls).toBe(3);
    });
  }

  it('never drops honest untrusted workers, and screens nothing in a run of trusted sources', async () => {
    const a = new RogueSource('a', oracle());
    const b = new RogueSource('b', oracle());
    const provider = new TestProvider([oracle(), a, b], new Set([a, b]));
    const result = await new Trainer(spec, data, provider, options).run();
    expect(bytes(result.params)).toEqual(await reference());
    expect(provider.failures).toEqual([]);
    const trusting = new TestProvider([oracle(), oracle()], new Set());
    await new Trainer(spec, data, trusting, { ...options, reproducible: undefined }).run();
    expect(trusting.lines).toEqual([]);
  });
});

/** One step's plan over `sources` (one contiguous group of shards each). */
function plan(
  sources: readonly GradientSource[],
  shards: readonly ShardRange[],
  screen: ResultScreen,
  d = data,
  whole = true,
): StepPlan {
  const P = 6 * (5 + 1) + 3 * (6 + 1);
  const per = Math.ceil(shards.length / sources.length);
  const order = Uint32Array.from({ length: d.count }, (_, i) => i);
  const weights = Float32Array.from({ length: P }, (_, i) => Math.sin(i) * 0.3);
  return {
    task: { weightsVersion: 0, weights, epoch: 0, batch: 0, order },
    shards,
    grads: shards.map(() => new Float32Array(P)),
    assignment: sources.map((source, s) => ({
      source,
      shards: shards.map((_, i) => i).filter((i) => Math.floor(i / per) === s),
    })),
    whole,
    screen,
  };
}

const quarters: ShardRange[] = [0, 1, 2, 3].map((k) => ({ offset: k * 10, count: 10 }));

describe('checkStepResults through runStep', () => {
  it('rechecks every result when the factor is tiny and accepts the honest ones bit for bit', async () => {
    const honest = new RogueSource('honest', oracle());
    const provider = new TestProvider([oracle(), honest], new Set([honest]));
    const p = plan([oracle(), honest], quarters, new ResultScreen({ factor: 1 + 1e-12 }));
    const stats = await runStep(p, provider);
    const plain = plan([oracle()], quarters, new ResultScreen({ factor: Infinity }));
    const expected = await runStep({ ...plain, screen: undefined }, new StaticSourceProvider([oracle()]));
    expect(stats.map((s) => s.lossSum)).toEqual(expected.map((s) => s.lossSum));
    expect(p.grads.map(bytes)).toEqual(plain.grads.map(bytes));
    expect(provider.failures).toEqual([]);
    expect(provider.lines.length).toBeGreaterThan(0);
    for (const line of provider.lines)
      expect(line).toMatch(
        /^shard [34] of step 1 from honest: .*; local recomputed the same result bit for bit; accepted$/,
      );
  });

  it('traces a loss sum that overflows to its shard, recomputes it and drops the sender (issue 17 item 3)', async () => {
    const rogue = new RogueSource('rogue', oracle(), (_t, _g, s) => ({ ...s, lossSum: 1.7e308 }));
    const provider = new TestProvider([oracle(), rogue], new Set([rogue]));
    // No range check at all: only the overflow of the sum can catch it.
    const p = plan([oracle(), rogue], quarters, new ResultScreen({ factor: Infinity }));
    const stats = await runStep(p, provider);
    expect(Number.isFinite(stats.reduce((a, s) => a + s.lossSum, 0))).toBe(true);
    expect(provider.failures).toHaveLength(1);
    expect(provider.failures[0]).toMatchObject({ label: 'rogue', code: 'GS_ERR_RESULT_DISAGREES' });
    expect(provider.failures[0].message).toMatch(/shard 3 of step 1 disagrees: loss sum .*; the step.s sums overflow/);
    const plain = plan([oracle()], quarters, new ResultScreen());
    await runStep({ ...plain, screen: undefined }, new StaticSourceProvider([oracle()]));
    expect(p.grads.map(bytes)).toEqual(plain.grads.map(bytes));
  });

  it('accepts a result nobody else can check, and says so', async () => {
    const rogue = new RogueSource('rogue', oracle(), (t, g, s) => (t.offset === 0 ? times1e30(t, g, s) : s));
    const provider = new TestProvider([rogue], new Set([rogue]));
    await runStep(plan([rogue], quarters, new ResultScreen()), provider);
    expect(provider.failures).toEqual([]);
    expect(provider.lines).toEqual([
      expect.stringMatching(
        /^shard 1 of step 1 from rogue: gradient norm per sample .* is above 1000x .*; no other source could check it; accepted unchecked$/,
      ),
    ]);
  });

  it('drops a sender when two untrusted checkers agree with each other against it', async () => {
    const rogue = new RogueSource('rogue', oracle(), times1e30);
    const a = new RogueSource('a', oracle());
    const b = new RogueSource('b', oracle());
    const provider = new TestProvider([a, b, rogue], new Set([a, b, rogue]));
    const shards = [0, 1, 2, 3, 4, 5].map((k) => ({ offset: k * 5, count: 5 }));
    await runStep(plan([a, rogue], shards, new ResultScreen()), provider);
    expect(provider.failures.map((f) => f.label)).toEqual(['rogue']);
    expect(provider.failures[0].message).toMatch(
      /^a's and b's recomputations of shard 4 of step 1 agree and disagree with it: /,
    );
  });

  it('drops an untrusted checker whose recomputation disagrees with the sender and a second checker', async () => {
    let asked = 0;
    // Lies when asked to check (its first call); honest for any shard it is given later.
    const liar = new RogueSource('liar', oracle(), (_t, g, s) => (asked++ === 0 ? (g.fill(1e20), s) : s));
    const other = new RogueSource('other', oracle());
    const honest = new RogueSource('honest', oracle());
    const provider = new TestProvider([liar, other, honest], new Set([liar, other, honest]));
    // A tiny factor puts every result out of range, so the honest one is checked too.
    await runStep(plan([honest], quarters, new ResultScreen({ factor: 1 + 1e-12 })), provider);
    expect(provider.failures.map((f) => [f.label, f.code])).toEqual([['liar', 'GS_ERR_RESULT_DISAGREES']]);
    expect(provider.failures[0].message).toBe(
      'its recomputation of shard 1 of step 1 disagrees with those of honest and other',
    );
  });

  it('drops nobody on one untrusted word against another (a zero-gradient worker next to an honest one)', async () => {
    const honest = new RogueSource('honest', oracle());
    const lazy = new RogueSource('lazy', oracle(), (_t, g, s) => (g.fill(0), s));
    const provider = new TestProvider([honest, lazy], new Set([honest, lazy]));
    await runStep(plan([honest, lazy], quarters, new ResultScreen()), provider);
    expect(provider.failures).toEqual([]);
    expect(provider.lines).toEqual([
      expect.stringMatching(
        /^shard 1 of step 1 from honest: .*; lazy disagreed but no third source settled it; accepted unchecked$/,
      ),
      expect.stringMatching(
        /^shard 2 of step 1 from honest: .*; lazy disagreed but no third source settled it; accepted unchecked$/,
      ),
      expect.stringMatching(
        /^shard 3 of step 1 from lazy: gradient norm per sample 0 is below .*; honest disagreed but no third source settled it; accepted unchecked$/,
      ),
      expect.stringMatching(
        /^shard 4 of step 1 from lazy: .*; honest disagreed but no third source settled it; accepted unchecked$/,
      ),
    ]);
  });

  it('drops a zero-gradient worker next to a trusted thread', async () => {
    const lazy = new RogueSource('lazy', oracle(), (_t, g, s) => (g.fill(0), s));
    const provider = new TestProvider([oracle(), lazy], new Set([lazy]));
    await runStep(plan([oracle(), lazy], quarters, new ResultScreen()), provider);
    expect(provider.failures.map((f) => f.label)).toEqual(['lazy']);
    expect(provider.failures[0].message).toMatch(
      /^local's recomputation of shard 3 of step 1 disagrees: gradient value 0 is 0 against .*; gradient norm per sample 0 is below 1\/1000/,
    );
  });
});

/** A two-thread machine (as a remote worker in default mode): a shard is summed over its lanes. */
class TwoLaneSource implements GradientSource {
  readonly threads = 2;
  private readonly lanes: GradientSource[];
  constructor(
    readonly label: string,
    d: LabeledSamples,
    readonly backend = 'reference',
  ) {
    this.lanes = [oracle(d), oracle(d)];
  }
  async compute(request: GradientRequest): Promise<ShardStats[]> {
    const { task, shards, grads } = request;
    if (request.mode === 'each') return computeEach(this.lanes, task, shards, grads);
    return [
      await computeSum(this.lanes, task, shards, grads[0], [
        new Float32Array(grads[0].length),
        new Float32Array(grads[0].length),
      ]),
    ];
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('default-mode recomputation of a shard summed over threads', () => {
  const big = makeData(900);
  const shards: ShardRange[] = [
    { offset: 0, count: 450 },
    { offset: 450, count: 450 },
  ];

  it('repeats the sender’s split over its threads, so the same backend agrees bit for bit', async () => {
    const worker = new TwoLaneSource('worker', big);
    const provider = new TestProvider([oracle(big), worker], new Set([worker]));
    await runStep(plan([oracle(big), worker], shards, new ResultScreen({ factor: 1 + 1e-12 }), big, false), provider);
    expect(provider.failures).toEqual([]);
    expect(provider.lines).toEqual([
      expect.stringMatching(
        /^shard 2 of step 1 from worker: .*local recomputed the same result bit for bit; accepted$/,
      ),
    ]);
  });

  it('compares within the tolerance when the checker runs another backend', async () => {
    const worker = new TwoLaneSource('worker', big, 'other-backend');
    const provider = new TestProvider([oracle(big), worker], new Set([worker]));
    await runStep(plan([oracle(big), worker], shards, new ResultScreen({ factor: 1 + 1e-12 }), big, false), provider);
    expect(provider.failures).toEqual([]);
    expect(provider.lines).toEqual([
      expect.stringMatching(/^shard 2 of step 1 from worker: .*local recomputed the same result; accepted$/),
    ]);
  });
});
