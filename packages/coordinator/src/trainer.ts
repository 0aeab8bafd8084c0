/**
 * The training loop (architecture §4). The trainer owns the weights (version k = steps taken), the
 * optimizer state, each epoch's permutation and the minibatch plan. One step:
 *   1. cut minibatch b of the epoch's order into shards: one per active source (default mode,
 *      sized equally or by measured throughput) or S virtual shards (reproducible mode);
 *   2. the sources compute Σ∇ℓ, Σℓ, count per shard at version k (scheduler.ts; a lost source's
 *      shards are recomputed by the others within the step);
 *   3. the reducer sums the shard results in shard order (reducer.ts: the star today);
 *   4. regularise once and divide by the batch size (core's finishGradient);
 *   5. one optimizer step with the decayed learning rate (core's Optimizer: sgd, adam, adamw)
 *      → version k+1.
 * Steps 3-5 are step-update.ts's: on this thread, or shared with a local pool's threads, one
 * slice of the parameters each.
 * The loop never cares where a shard is computed: this process, a thread pool or a remote
 * machine are all GradientSources. Its state after any step can be saved and resumed exactly.
 */
import {
  createOptimizer,
  createOuterOptimizer,
  initializeParameters,
  learningRateAt,
  parameterCount,
  Rng,
  validateModelSpec,
  type FullBatchMinimizer,
  type FullBatchSnapshot,
  type GradientStats,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
  type Optimizer,
  type OptimizerState,
  type SgdOptimizer,
} from '@gradswarm/core';
import { arraySplitSizes, epochPermutation, minibatchBounds, proportionalShards, type Bounds } from '@gradswarm/data';
import type { GradientSource, ShardRange, SliceHelpers } from '@gradswarm/worker';
import { runFullBatch } from './full-batch-run.js';

export { outcomeText, type FullBatchOutcome } from './full-batch-run.js';
import { runLocalRound, type PlanPosition } from './local-round.js';

export { roundSteps } from './local-round.js';
export type { EpochInfo, StepInfo, StepTiming, TrainResult } from './trainer-reports.js';
import type { EpochInfo, StepInfo, TrainResult } from './trainer-reports.js';
import { runRounds } from './local-run.js';
import { StarReducer, type Reducer } from './reducer.js';
import { ResultScreen } from './result-screen.js';
import { contiguousGroups, runStep, type SchedulerEvents } from './scheduler.js';
import { StepUpdate } from './step-update.js';
import { StaticSourceProvider, type SourceProvider } from './source-provider.js';
import {
  lrScheduleOf,
  optimizerOptionsOf,
  resolveTrainingOptions,
  type ResolvedTrainingOptions,
  type TrainingOptions,
} from './training-options.js';

export interface TrainerHooks extends SchedulerEvents {
  /** Called as a step starts, before it asks for the active sources. */
  onStepStart?(step: number): void;
  /** Called after each step; the trainer's state() is then the state after that step. */
  onStep?(info: StepInfo): void | Promise<void>;
  /** Called after each epoch; time spent here (evaluation) is not training time. */
  onEpoch?(info: EpochInfo): void | Promise<void>;
}

/** Everything needed to continue a run exactly where it stopped (saved in checkpoints). */
export interface TrainerState {
  /**
   * Epoch and minibatch of the next step. After an epoch's last step, until the epoch ends,
   * batch is the epoch's minibatch count (restore accepts it: the epoch's end comes next).
   */
  readonly epoch: number;
  readonly batch: number;
  /** Steps taken so far (= the weights version). */
  readonly step: number;
  readonly params: Float32Array;
  /** The optimizer's name, step count and named buffers. */
  readonly optimizer: OptimizerState;
  readonly samplesSeen: number;
  readonly trainingMs: number;
  readonly lastCost: number;
  /** A full-batch optimizer's state between iterations (absent for the minibatch ones and before the first iteration). */
  readonly fullBatch?: FullBatchSnapshot;
}

/** Throughput moving-average weight of the newest measurement. */
const THROUGHPUT_SMOOTHING = 0.3;

export class Trainer {
  readonly spec: ModelSpec;
  readonly options: ResolvedTrainingOptions;
  readonly params: Float32Array;
  readonly optimizer: Optimizer;
  readonly reducer: Reducer;
  readonly batches: readonly Bounds[];
  private readonly data: LabeledSamples;
  private readonly provider: SourceProvider;
  private readonly grad: Float32Array;
  private readonly allocate: (length: number) => Float32Array;
  private readonly update: StepUpdate;
  private readonly shardGrads: Float32Array[] = [];
  private readonly throughput = new WeakMap<GradientSource, number>();
  /** Recent accepted shard results: untrusted sources' results are screened against them. */
  private readonly screen = new ResultScreen();
  private position = { epoch: 0, batch: 0, step: 0, samplesSeen: 0, trainingMs: 0, lastCost: Number.NaN };
  private stopRequested = false;
  /** The full-batch run's minimizer (for state()), and the state it resumes from. */
  private minimizer: FullBatchMinimizer | null = null;
  private resumeFullBatch: FullBatchSnapshot | undefined;
  /** Set by endAfterEpoch: the run ends at the next epoch boundary, finished, not interrupted. */
  private endRequested = false;

  /**
   * @param data the training samples every source computes on
   * @param sources a fixed list of gradient sources, or a provider of the live ones
   * @param updateBackend runs the per-step update's C kernels when it has them (sumGradients,
   *   finishGradient, the optimizer's step; the same bits as without)
   * @param reducer sums each step's shard gradients [a StarReducer on updateBackend]
   * @param helpers a local pool's threads, which then share each step's reduction and update
   *   (step-update.ts; the same bits), its buffers in their shared memory
   * @throws TypeError / RangeError for bad options or a spec that does not fit the data
   */
  constructor(
    spec: ModelSpec,
    data: LabeledSamples,
    sources: readonly GradientSource[] | SourceProvider,
    options: TrainingOptions = {},
    updateBackend: KernelBackend | null = null,
    reducer?: Reducer,
    helpers: SliceHelpers | null = null,
  ) {
    this.spec = validateModelSpec(spec);
    this.options = resolveTrainingOptions(options);
    if (Array.isArray(sources) && sources.length === 0)
      throw new RangeError('sources must hold at least one gradient source');
    if (data.count === 0) throw new RangeError('the training data holds no samples');
    if (data.featureCount !== this.spec.layers[0]) {
      throw new RangeError(
        `the data has ${data.featureCount} features but the input layer has ${this.spec.layers[0]} units`,
      );
    }
    const P = parameterCount(this.spec.layers);
    this.data = data;
    this.provider = Array.isArray(sources) ? new StaticSourceProvider(sources) : (sources as SourceProvider);
    this.allocate = helpers ? (n) => helpers.allocate(n) : (n) => new Float32Array(n);
    this.params = this.allocate(P);
    initializeParameters(
      this.spec.layers,
      this.options.init,
      Rng.derive(this.options.seed, 0),
      this.params,
      this.options.initEpsilon,
    );
    const local = this.options.localSgd;
    // Local SGD: the trainer's optimizer is the outer one (its momentum is what a checkpoint keeps);
    // the inner steps' momentum lives in each replica's round (core's local-round.ts).
    this.optimizer = local
      ? createOuterOptimizer(
          P,
          { name: local.outerOptimizer, learningRate: local.outerLearningRate, momentum: local.outerMomentum },
          updateBackend,
          this.allocate,
        )
      : createOptimizer(P, optimizerOptionsOf(this.options), updateBackend, this.allocate);
    this.reducer = reducer ?? new StarReducer(updateBackend);
    this.update = new StepUpdate(
      this.spec.layers,
      this.options.cost,
      this.optimizer,
      this.reducer,
      updateBackend,
      helpers,
    );
    this.grad = this.allocate(P);
    const o = this.options;
    this.batches = minibatchBounds(
      data.count,
      o.minibatches !== undefined ? { minibatches: o.minibatches } : { batchSize: o.batchSize },
    );
    if (local && local.replicas > this.batches[0].count)
      throw new RangeError(
        `options.replicas is ${local.replicas}, more than the ${this.batches[0].count} samples of a minibatch - help: use at most ${this.batches[0].count} replicas or a larger batch`,
      );
  }

  /** The state after the last completed step, for a checkpoint (copies the buffers). */
  state(): TrainerState {
    const m = this.minimizer;
    const fullBatch = m && m.iterations > 0 ? m.snapshot() : this.resumeFullBatch;
    return {
      ...this.position,
      params: this.params.slice(),
      optimizer: this.optimizer.state(),
      ...(fullBatch ? { fullBatch } : {}),
    };
  }

  /**
   * Continues from a saved state.
   * @throws RangeError if the state does not fit this model and plan
   */
  restore(state: TrainerState): void {
    if (state.params.length !== this.params.length) {
      throw new RangeError(
        `the saved state holds ${state.params.length} parameters, the model has ${this.params.length}`,
      );
    }
    // batch === batches.length: saved after an epoch's last step, before the epoch ended (issue 16
    // item 15); run() then ends that epoch first, as the uninterrupted run did.
    if (
      state.epoch > this.options.epochs ||
      state.batch > this.batches.length ||
      (state.epoch === this.options.epochs && state.batch > 0)
    ) {
      throw new RangeError(
        `the saved state is at epoch ${state.epoch + 1} batch ${state.batch + 1}, past this run's plan`,
      );
    }
    if (this.options.fullBatch && state.step > 0 && state.fullBatch?.name !== this.options.optimizer)
      throw new RangeError(
        `the saved state has no ${this.options.optimizer} state after ${state.step} iterations (a checkpoint of another kind of run)`,
      );
    this.optimizer.restore(state.optimizer);
    this.params.set(state.params);
    this.resumeFullBatch = state.fullBatch;
    const { epoch, batch, step, samplesSeen, trainingMs, lastCost } = state;
    this.position = { epoch, batch, step, samplesSeen, trainingMs, lastCost };
  }

  /** Asks the run to stop after the current step; run() then resolves with interrupted = true. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Makes the epoch under way (or just ended, when called from onEpoch) the run's last, as if
   * the plan had no more (early stopping): run() resolves with interrupted = false.
   */
  endAfterEpoch(): void {
    this.endRequested = true;
  }

  /** Whether this minibatch is the plan's last step (the last of the last epoch, or at maxSteps). */
  private isPlannedLast(epoch: number, batch: number, step = this.position.step): boolean {
    const o = this.options;
    return (epoch === o.epochs - 1 && batch === this.batches.length - 1) || step + 1 === o.maxSteps;
  }

  /** Runs from the current position to the end of the last epoch. */
  async run(hooks: TrainerHooks = {}): Promise<TrainResult> {
    if (this.options.fullBatch) return this.runFullBatch(hooks);
    if (this.options.localSgd) return this.runRounds(hooks);
    const o = this.options;
    const n = this.data.count;
    const pos = this.position;
    while (pos.epoch < o.epochs && !this.stopRequested && !this.endRequested && pos.step < (o.maxSteps ?? Infinity)) {
      const epoch = pos.epoch;
      const order = o.shuffle ? epochPermutation(o.seed, epoch, n) : Uint32Array.from({ length: n }, (_, i) => i);
      let costSum = 0;
      let costs = 0;
      while (pos.batch < this.batches.length && !this.stopRequested && pos.step < (o.maxSteps ?? Infinity)) {
        hooks.onStepStart?.(pos.step);
        const started = performance.now();
        const { start, count } = this.batches[pos.batch];
        const schedule = lrScheduleOf(o, this.batches.length);
        const learningRate = learningRateAt(schedule, epoch, pos.step);
        const { cost, participants, computeMs, reduceUpdateMs } = await this.step(
          epoch,
          pos.batch,
          order,
          start,
          count,
          learningRate,
          hooks,
        );
        const samples = count;
        const totalMs = performance.now() - started;
        pos.trainingMs += totalMs;
        pos.samplesSeen += samples;
        pos.lastCost = cost;
        costSum += cost;
        costs++;
        const timing = { totalMs, computeMs, reduceUpdateMs };
        const info = {
          epoch,
          batch: pos.batch,
          batchesPerEpoch: this.batches.length,
          step: pos.step,
          cost,
          learningRate,
          samples,
          participants,
          timing,
        };
        pos.step++;
        pos.batch++;
        await hooks.onStep?.({ ...info, samplesSeen: pos.samplesSeen, trainingMs: pos.trainingMs });
      }
      if (pos.batch < this.batches.length) break; // stopped, or maxSteps reached mid-epoch
      pos.epoch++;
      pos.batch = 0;
      await hooks.onEpoch?.({
        epoch,
        cost: costs > 0 ? costSum / costs : pos.lastCost,
        params: this.params,
        trainingMs: pos.trainingMs,
      });
    }
    return {
      params: this.params,
      epochsCompleted: pos.epoch,
      steps: pos.step,
      finalCost: pos.lastCost,
      samplesSeen: pos.samplesSeen,
      trainingMs: pos.trainingMs,
      interrupted: this.stopRequested && pos.epoch < o.epochs && pos.step < (o.maxSteps ?? Infinity),
    };
  }

  /** A full-batch optimizer's run (full-batch-run.ts): each evaluation a step over all samples. */
  private async runFullBatch(hooks: TrainerHooks): Promise<TrainResult> {
    const n = this.data.count;
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    const pos = this.position;
    const { outcome, cost } = await runFullBatch(
      {
        options: this.options,
        params: this.params,
        grad: this.grad,
        sampleCount: n,
        position: pos,
        evaluate: (version) => this.step(0, 0, order, 0, n, 0, hooks, version),
        resume: this.resumeFullBatch,
        adopt: (minimizer) => {
          this.minimizer = minimizer;
        },
        stopping: () => ({ stop: this.stopRequested, end: this.endRequested }),
      },
      {
        onStepStart: (step) => hooks.onStepStart?.(step),
        onStep: async (r) => {
          const { participants, timing, evaluations } = r;
          const at = { epoch: r.iteration, batch: 0, batchesPerEpoch: 1, step: r.iteration, participants, timing };
          const counts = { samples: n * r.evaluationsInIteration, samplesSeen: pos.samplesSeen, evaluations };
          await hooks.onStep?.({
            ...at,
            ...counts,
            cost: r.cost,
            learningRate: r.stepLength,
            trainingMs: pos.trainingMs,
          });
        },
        onEpoch: async (r) =>
          hooks.onEpoch?.({ epoch: r.iteration, cost: r.cost, params: this.params, trainingMs: pos.trainingMs }),
      },
    );
    return {
      params: this.params,
      epochsCompleted: pos.epoch,
      steps: pos.step,
      finalCost: cost,
      samplesSeen: pos.samplesSeen,
      trainingMs: pos.trainingMs,
      interrupted: this.stopRequested && outcome.reason === 'stopped',
      fullBatch: outcome,
    };
  }

  /**
   * Shard weights. `equal` never looks at the clock, so a default-mode run repeats bit for bit;
   * `throughput` follows each source's measured samples/s (moving average), for sources that
   * really differ, at the price of timing-dependent shard sizes (and so last-bit differences).
   */
  private shardWeights(sources: readonly GradientSource[]): number[] {
    const t = sources.map((s) => this.throughput.get(s) ?? 0);
    return this.options.balance === 'throughput' && t.every((x) => x > 0) ? t : t.map(() => 1);
  }

  private gradBuffers(n: number): Float32Array[] {
    while (this.shardGrads.length < n)
      this.shardGrads.push(this.shardGrads.length === 0 ? this.grad : this.allocate(this.grad.length));
    return this.shardGrads.slice(0, n);
  }

  /** The local-SGD run (local-run.ts): rounds of H inner steps that go on across epoch ends. */
  private runRounds(hooks: TrainerHooks): Promise<TrainResult> {
    return runRounds(
      {
        options: this.options,
        batchesPerEpoch: this.batches.length,
        params: this.params,
        position: this.position,
        stopping: () => ({ stop: this.stopRequested, end: this.endRequested }),
        round: (steps) => this.localRound(steps, hooks),
      },
      hooks,
    );
  }

  /** One round over `steps` (local-round.ts): R replicas over the active sources by the star, then the outer step. */
  private async localRound(steps: readonly PlanPosition[], hooks: SchedulerEvents) {
    const o = this.options;
    const local = o.localSgd!;
    let sources = this.provider.active();
    while (sources.length === 0) {
      await this.provider.waitForSource();
      sources = this.provider.active();
    }
    this.provider.beginStep?.(this.position.step, sources);
    const n = this.data.count;
    const first = steps[0];
    const order = o.shuffle ? epochPermutation(o.seed, first.epoch, n) : Uint32Array.from({ length: n }, (_, i) => i);
    const batches = steps.map((s) => ({ ...this.batches[s.batch], epoch: s.epoch }));
    const schedule = lrScheduleOf(o, this.batches.length);
    const learningRates = steps.map((s, h) => learningRateAt(schedule, s.epoch, this.position.step + h));
    const computeMs: number[] = [];
    const { cost, participants, reduceUpdateMs } = await runLocalRound(
      {
        local,
        momentum: o.momentum,
        nesterov: o.nesterov,
        cost: o.cost,
        batches,
        learningRates,
        step: this.position.step,
        epoch: first.epoch,
        batch: first.batch,
        order,
        seed: o.seed,
        shuffle: o.shuffle,
        params: this.params,
        grads: this.gradBuffers(local.replicas),
        final: this.isPlannedLast(steps.at(-1)!.epoch, steps.at(-1)!.batch, this.position.step + steps.length - 1),
      },
      sources,
      { provider: this.provider, reducer: this.reducer, outer: this.optimizer as SgdOptimizer },
      {
        ...hooks,
        onMeasured: (source, samples, ms, sourceComputeMs) => {
          computeMs.push(sourceComputeMs);
          hooks.onMeasured?.(source, samples, ms, sourceComputeMs);
        },
      },
    );
    const samples = batches.reduce((sum, b) => sum + b.count, 0);
    return { cost, participants, computeMs, reduceUpdateMs, samples, learningRate: learningRates[0] };
  }

  private async step(
    epoch: number,
    batch: number,
    order: Uint32Array,
    start: number,
    count: number,
    learningRate: number,
    hooks: SchedulerEvents,
    /** A full-batch evaluation: its own weights version, and no optimizer step. */
    evaluation?: number,
  ) {
    let sources = this.provider.active();
    while (sources.length === 0) {
      await this.provider.waitForSource();
      sources = this.provider.active();
    }
    // Chain members come first, in chain order; the coordinator adds the others' shards to the total last.
    const chain = this.provider.chain?.(sources) ?? null;
    if (chain) sources = [...chain.members, ...sources.filter((s) => !chain.members.includes(s))];
    this.provider.beginStep?.(this.position.step, sources);
    const weights = this.shardWeights(sources);
    // Default mode: one shard per source. Reproducible: S virtual shards whatever the sources.
    const sizes =
      this.options.reproducible === undefined
        ? proportionalShards(count, weights)
        : arraySplitSizes(count, this.options.reproducible);
    const perSource =
      this.options.reproducible === undefined
        ? sizes.map((n) => (n > 0 ? 1 : 0))
        : proportionalShards(sizes.filter((n) => n > 0).length, weights);
    const shards: ShardRange[] = [];
    let offset = start;
    for (const size of sizes) {
      if (size > 0) shards.push({ offset, count: size });
      offset += size;
    }
    const groups = contiguousGroups(perSource);
    const grads = this.gradBuffers(shards.length);
    const participants: string[] = new Array(shards.length);
    const computeMs: number[] = [];
    groups.forEach((g, s) => g.forEach((i) => (participants[i] = sources[s].label)));
    const assignment = sources.map((source, s) => ({ source, shards: groups[s] }));
    const chained = chain ? assignment.slice(0, chain.members.length).filter((a) => a.shards.length > 0) : [];
    if (chained.length > 0) {
      const round = chain!.source(
        chained.map((a) => a.source),
        chained.map((a) => a.shards.length),
      );
      assignment.splice(0, chain!.members.length, { source: round, shards: chained.flatMap((a) => a.shards) });
    }
    const folded = new Set<number>();
    const stats: GradientStats[] = await runStep(
      {
        task: {
          weightsVersion: evaluation ?? this.position.step,
          weights: this.params,
          epoch,
          batch,
          order,
          ...(evaluation === undefined && this.isPlannedLast(epoch, batch) ? { final: true } : {}),
        },
        shards,
        grads,
        assignment,
        whole: this.options.reproducible !== undefined,
        screen: this.screen,
        folded,
      },
      this.provider,
      {
        onMeasured: (source, samples, ms, sourceComputeMs) => {
          computeMs.push(sourceComputeMs);
          const rate = samples / Math.max(ms / 1000, 1e-6);
          const old = this.throughput.get(source);
          this.throughput.set(
            source,
            old === undefined ? rate : (1 - THROUGHPUT_SMOOTHING) * old + THROUGHPUT_SMOOTHING * rate,
          );
          hooks.onMeasured?.(source, samples, ms, sourceComputeMs);
        },
        onGradientReady: (shard, from, to) => this.reducer.ready?.(shard, from, to),
        onReassigned: (source, error, indices, to) => {
          for (const i of indices) participants[i] = `${participants[i]}→${to.map((t) => t.label).join('+')}`;
          hooks.onReassigned?.(source, error, indices, to);
        },
      },
    );
    const reduceStarted = performance.now();
    const reduced = folded.size === 0 ? grads : grads.filter((_, i) => !folded.has(i));
    const input = { step: this.position.step, grads: reduced, stats, total: this.grad, params: this.params, count };
    const cost = await this.update.apply({
      ...input,
      learningRate,
      epoch,
      optionLearningRate: this.options.learningRate,
      finishOnly: evaluation !== undefined,
    });
    return { cost, participants, computeMs, reduceUpdateMs: performance.now() - reduceStarted };
  }
}
