/**
 * The training loop (DESIGN §4). The trainer owns the weights (version k), the optimizer state,
 * each epoch's permutation and the minibatch plan. One step:
 *   1. cut minibatch b of the epoch's order into shards, one per gradient source, sized in
 *      proportion to each source's measured throughput, never empty;
 *   2. each source computes Σ∇ℓ, Σℓ, count for its shard at version k;
 *   3. sum the results in shard order, divide by the batch size, add regularisation once;
 *   4. apply momentum and the decayed learning rate → version k+1.
 * The loop never cares where a shard is computed: in this process, a thread pool or a remote
 * machine are all GradientSources.
 */
import {
  ErrorCode,
  finishGradient,
  GradswarmError,
  initializeParameters,
  learningRateAt,
  MomentumSgd,
  parameterCount,
  Rng,
  validateModelSpec,
  type GradientStats,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { arraySplitSizes, epochPermutation, minibatchBounds, proportionalShards } from '@gradswarm/data';
import type { GradientSource } from '@gradswarm/worker';
import { reduceInOrder, reduceStats } from './reducer.js';
import { resolveTrainingOptions, type ResolvedTrainingOptions, type TrainingOptions } from './training-options.js';

/** Reported after every optimizer step. */
export interface StepInfo {
  readonly epoch: number;
  /** Minibatch index within the epoch. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** Global 0-based step (the step that just finished). */
  readonly step: number;
  /** J of this minibatch at the weights it was computed with. */
  readonly cost: number;
  readonly learningRate: number;
  readonly samples: number;
  /** Training samples processed since the start of the run. */
  readonly samplesSeen: number;
  /** Time spent in training steps since the start of the run. */
  readonly trainingMs: number;
}

/** Reported after every epoch. */
export interface EpochInfo {
  readonly epoch: number;
  /** Mean of the epoch's minibatch costs. */
  readonly cost: number;
  readonly params: Float32Array;
  readonly trainingMs: number;
}

export interface TrainerHooks {
  onStep?(info: StepInfo): void;
  /** Called after each epoch; time spent here (evaluation) is not training time. */
  onEpoch?(info: EpochInfo): void | Promise<void>;
}

export interface TrainResult {
  readonly params: Float32Array;
  readonly epochsCompleted: number;
  readonly steps: number;
  /** Cost of the last minibatch. */
  readonly finalCost: number;
  readonly samplesSeen: number;
  /** Milliseconds spent in training steps (no start-up, no evaluation). */
  readonly trainingMs: number;
  /** True if stop() ended the run early. */
  readonly interrupted: boolean;
}

/** Throughput moving-average weight of the newest step. */
const THROUGHPUT_SMOOTHING = 0.3;


export class Trainer {
  readonly spec: ModelSpec;
  readonly options: ResolvedTrainingOptions;
  readonly params: Float32Array;
  readonly optimizer: MomentumSgd;
  private readonly data: LabeledSamples;
  private readonly sources: readonly GradientSource[];
  private readonly shardGrads: Float32Array[];
  private readonly grad: Float32Array;
  private readonly throughput: number[];
  private readonly virtualGrads: Float32Array[] = [];
  private weightsVersion = 0;
  private stopRequested = false;

  /**
   * @param data the training samples every source computes on
   * @param sources at least one gradient source; shards are handed out in this order
   * @throws TypeError / RangeError for bad options or a spec that does not fit the data
   */
  constructor(spec: ModelSpec, data: LabeledSamples, sources: readonly GradientSource[], options: TrainingOptions = {}) {
    this.spec = validateModelSpec(spec);
    this.options = resolveTrainingOptions(options);
    if (sources.length === 0) throw new RangeError('sources must hold at least one gradient source');
    if (data.count === 0) throw new RangeError('the training data holds no samples');
    if (data.featureCount !== this.spec.layers[0]) {
      throw new RangeError(`the data has ${data.featureCount} features but the input layer has ${this.spec.layers[0]} units`);
    }
    const P = parameterCount(this.spec.layers);
    this.data = data;
    this.sources = sources;
    this.params = new Float32Array(P);
    initializeParameters(this.spec.layers, this.options.init, Rng.derive(this.options.seed, 0), this.params, this.options.initEpsilon);
    this.optimizer = new MomentumSgd(P, { momentum: this.options.momentum, nesterov: this.options.nesterov });
    this.grad = new Float32Array(P);
    // One shard buffer per source; the first shard is written straight into the step gradient.
    this.shardGrads = sources.map((_, i) => (i === 0 ? this.grad : new Float32Array(P)));
    this.throughput = sources.map(() => 0);
  }

  /** Asks the run to stop after the current step; run() then resolves with interrupted = true. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs all epochs. */
  async run(hooks: TrainerHooks = {}): Promise<TrainResult> {
    const o = this.options;
    const n = this.data.count;
    const batches = minibatchBounds(n, o.minibatches !== undefined ? { minibatches: o.minibatches } : { batchSize: o.batchSize });
    let step = 0;
    let samplesSeen = 0;
    let trainingMs = 0;
    let finalCost = Number.NaN;
    let epoch = 0;
    for (; epoch < o.epochs && !this.stopRequested; epoch++) {
      const order = o.shuffle ? epochPermutation(o.seed, epoch, n) : Uint32Array.from({ length: n }, (_, i) => i);
      let costSum = 0;
      let batchesDone = 0;
      for (let b = 0; b < batches.length && !this.stopRequested; b++) {
        const started = performance.now();
        const { start, count } = batches[b];
        const learningRate = learningRateAt({ learningRate: o.learningRate, decay: o.decay, decayUnit: o.decayUnit, decayKind: o.decayKind }, epoch, step);
        const cost = await this.step(epoch, order, start, count, learningRate);
        trainingMs += performance.now() - started;
        samplesSeen += count;
        finalCost = cost;
        costSum += cost;
        batchesDone++;
        hooks.onStep?.({ epoch, batch: b, batchesPerEpoch: batches.length, step, cost, learningRate, samples: count, samplesSeen, trainingMs });
        step++;
      }
      if (batchesDone < batches.length) break;
      await hooks.onEpoch?.({ epoch, cost: costSum / batchesDone, params: this.params, trainingMs });
    }
    return { params: this.params, epochsCompleted: epoch, steps: step, finalCost, samplesSeen, trainingMs, interrupted: this.stopRequested };
  }

  /**
   * Shard weights. `equal` never looks at the clock, so a default-mode run repeats bit for bit;
   * `throughput` follows each source's measured samples/s (moving average), for sources that
   * really differ, at the price of timing-dependent shard sizes (and so last-bit differences).
   */
  private shardWeights(): number[] {
    const t = this.throughput;
    const measured = t.every((x) => x > 0);
    return this.options.balance === 'throughput' && measured ? [...t] : t.map(() => 1);
  }

  private measure(source: number, samples: number, startedMs: number): void {
    const seconds = Math.max((performance.now() - startedMs) / 1000, 1e-6);
    const rate = samples / seconds;
    const old = this.throughput[source];
    this.throughput[source] = old === 0 ? rate : (1 - THROUGHPUT_SMOOTHING) * old + THROUGHPUT_SMOOTHING * rate;
  }

  private async step(epoch: number, order: Uint32Array, start: number, count: number, learningRate: number): Promise<number> {
    const base = { weightsVersion: this.weightsVersion, weights: this.params, epoch, order };
    let stats: GradientStats;
    if (this.options.reproducible === undefined) {
      // Default mode: one shard per source, summed in source order.
      const sizes = proportionalShards(count, this.shardWeights());
      let offset = start;
      const tasks = this.sources.map((source, s) => {
        const size = sizes[s];
        const task = { ...base, offset, count: size };
        offset += size;
        if (size === 0) {
          this.shardGrads[s].fill(0);
          return Promise.resolve({ lossSum: 0, count: 0 });
        }
        const started = performance.now();
        return source.computeGradient(task, this.shardGrads[s]).then((r) => (this.measure(s, size, started), r));
      });
      stats = reduceStats(await Promise.all(tasks));
      reduceInOrder(this.shardGrads, this.grad);
    } else {
      // Reproducible mode: S virtual shards, each computed whole wherever it runs, summed in
      // virtual-shard order; which source computes which shard does not change a bit.
      const sizes = arraySplitSizes(count, this.options.reproducible).filter((n) => n > 0);
      while (this.virtualGrads.length < sizes.length) this.virtualGrads.push(new Float32Array(this.grad.length));
      const perSource = proportionalShards(sizes.length, this.shardWeights());
      const results: GradientStats[] = new Array(sizes.length);
      const offsets = sizes.map((_, v) => start + sizes.slice(0, v).reduce((a, b) => a + b, 0));
      let first = 0;
      const runs = this.sources.map(async (source, s) => {
        const mine = Array.from({ length: perSource[s] }, (_, i) => first + i);
        first += perSource[s];
        const started = performance.now();
        let samples = 0;
        for (const v of mine) {
          results[v] = await source.computeGradient({ ...base, offset: offsets[v], count: sizes[v] }, this.virtualGrads[v]);
          samples += sizes[v];
        }
        if (samples > 0) this.measure(s, samples, started);
      });
      await Promise.all(runs);
      stats = reduceStats(results);
      reduceInOrder(this.virtualGrads.slice(0, sizes.length), this.grad);
    }
    const cost = finishGradient(this.spec.layers, this.params, this.grad, stats.lossSum, count, this.options.cost);
    if (!Number.isFinite(cost)) {
      throw new GradswarmError(
        ErrorCode.NON_FINITE,
        `the cost became ${cost} at epoch ${epoch + 1} - help: lower --lr (now ${this.options.learningRate}) or check the data for extreme values`,
      );
    }
    this.optimizer.step(this.params, this.grad, learningRate);
    this.weightsVersion++;
    return cost;
  }
}
