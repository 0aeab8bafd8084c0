/**
 * The body shared by `train` and `coordinator`: map the flags, load and split the data, build
 * the run with the coordinator's createRun (pool, Coordinator, a server only for `coordinator`),
 * follow its events for the progress bar and the metrics, write the model, metrics and report. SIGINT/SIGTERM end
 * the run after the current step; the model so far and a checkpoint are still written (a second
 * one quits at once, see interrupts.ts). Every output path is checked before the data is loaded
 * (output-paths.ts); a run that took no step writes nothing.
 */
import { availableParallelism } from 'node:os';
import { evaluate, MAX_CONFUSION_CLASSES, selectBackend, type ModelSpec } from '@gradswarm/core';
import {
  checkResumable,
  collectReportData,
  createRun,
  type Coordinator,
  listen,
  loadCheckpoint,
  MetricsRecorder,
  resolveTrainingOptions,
  type NetworkOptions,
  type ResolvedTrainingOptions,
  type TrainingOptions,
} from '@gradswarm/coordinator';
import { minibatchBounds } from '@gradswarm/data';
import { MIN_SAMPLES_PER_LANE } from '@gradswarm/worker';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError } from './errors.js';
import { EarlyStopping } from './early-stop.js';
import { modelText } from './model-file.js';
import { FinalCostTracker } from './final-cost.js';
import { Interrupts } from './interrupts.js';
import { checkObservabilityArgs, observe, type TraceArgs } from './observability.js';
import { loadTrainingData, type LoadedData } from './load-data.js';
import { modelSpecFromArgs } from './model-spec.js';
import { checkOutputPaths, outputPathsOf, writeModelSomewhere } from './output-paths.js';
import { Progress } from './progress.js';
import { buildRunSummary, summaryText, type FinalEvaluation } from './run-summary.js';
import { settingWarnings } from './setting-warnings.js';
import { renderTrainingReport } from '@gradswarm/report';
import { writeFileAtomic } from '@gradswarm/data/node';

/** The parsed flags both commands share (yargs camelCase). */
export interface TrainingArgs extends TraceArgs {
  dataset: string;
  test?: string;
  testFraction: number;
  scale: string;
  labelColumn?: string;
  header?: string;
  layers?: string;
  hidden: string;
  output: string;
  loss?: string;
  init: string;
  initEpsilon: number;
  l1: number;
  l2: number;
  reduction: string;
  epochs: number;
  batchSize?: number;
  minibatches?: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  optimizer: string;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  decay: number;
  decayUnit: string;
  schedule: string;
  stepSize?: number;
  gamma?: number;
  warmupSteps: number;
  validationFraction?: number;
  earlyStop?: number;
  classNames?: string;
  config?: string;
  seed: number;
  threads?: number;
  steps?: number;
  reproducible?: number;
  balance: string;
  poolUpdate?: boolean;
  out?: string;
  metrics?: string;
  report?: string;
  json: boolean;
  evalEvery: number;
  progress: boolean;
  kernel?: string;
  checkpoint?: string;
  checkpointEvery: number;
  resume: boolean;
}

/** What `coordinator` adds: the network, and when to start. */
export interface NetworkRun {
  readonly network: NetworkOptions;
  readonly minWorkers: number;
  /** Tokens that may read the dashboard and /metrics (the run token, and --dashboard-token). */
  readonly dashboardTokens: readonly string[];
  /** Printed once the server listens: how to join. */
  readonly announce: (url: string) => void;
}

function positiveInteger(flag: string, v: number | undefined, allowZero = false): void {
  if (v !== undefined && !(Number.isInteger(v) && (v >= 1 || (allowZero && v === 0)))) {
    throw new UsageError(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
}

/** Checks the integer flags yargs cannot constrain, and builds the trainer's options. */
export function trainingOptions(args: TrainingArgs): TrainingOptions {
  for (const flag of ['epochs', 'batch-size', 'minibatches', 'reproducible', 'steps'] as const) {
    positiveInteger(flag, args[flag === 'batch-size' ? 'batchSize' : flag]);
  }
  positiveInteger('eval-every', args.evalEvery, true);
  positiveInteger('early-stop', args.earlyStop);
  if (args.earlyStop !== undefined && args.validationFraction === undefined) {
    throw new UsageError(
      '--early-stop needs a validation set to watch - help: add --validation-fraction, e.g. --validation-fraction 0.1',
    );
  }
  if (args.earlyStop !== undefined && args.resume) {
    throw new UsageError(
      '--early-stop cannot --resume: the best model so far is not in the checkpoint - help: resume without --early-stop',
    );
  }
  positiveInteger('checkpoint-every', args.checkpointEvery, true);
  if (args.batchSize !== undefined && args.minibatches !== undefined) {
    throw new UsageError('--batch-size and --minibatches are exclusive - help: give one of them');
  }
  if (args.resume && args.checkpoint === undefined)
    throw new UsageError('--resume needs --checkpoint DIR - help: point it at the directory of the earlier run');
  return {
    epochs: args.epochs,
    batchSize: args.batchSize,
    minibatches: args.minibatches,
    learningRate: args.lr,
    momentum: args.momentum,
    nesterov: args.nesterov,
    optimizer: args.optimizer as TrainingOptions['optimizer'],
    beta1: args.beta1,
    beta2: args.beta2,
    eps: args.eps,
    weightDecay: args.weightDecay,
    decay: args.decay,
    decayUnit: args.decayUnit as TrainingOptions['decayUnit'],
    decayKind: args.schedule as TrainingOptions['decayKind'],
    stepSize: args.stepSize,
    gamma: args.gamma,
    warmupSteps: args.warmupSteps,
    l1: args.l1,
    l2: args.l2,
    reduction: args.reduction as TrainingOptions['reduction'],
    init: args.init as TrainingOptions['init'],
    initEpsilon: args.initEpsilon,
    seed: args.seed,
    reproducible: args.reproducible,
    balance: args.balance as TrainingOptions['balance'],
    maxSteps: args.steps,
  };
}

/** Fewest samples of a minibatch per thread that `train` gives a thread by default (a worker's rule for its lanes). */
export const MIN_SAMPLES_PER_THREAD = MIN_SAMPLES_PER_LANE;

/**
 * `train`'s default thread count: the cores, but at most one thread per MIN_SAMPLES_PER_THREAD
 * samples of a minibatch. A thread's share of a step must outweigh what adding it costs (the
 * hand-off to it and back, and one more gradient to sum: the "other" and "update" columns of
 * scripts/bench-train.mjs); with the native kernels a second thread made the default run
 * (batch 50) slower, not faster. `--threads N` is always taken as given.
 */
export function defaultTrainThreads(cores: number, options: ResolvedTrainingOptions, samples: number): number {
  // The trainer's own plan: its first minibatch is its largest.
  const [first] = minibatchBounds(
    samples,
    options.minibatches !== undefined
      ? { minibatches: options.minibatches }
      : { batchSize: options.batchSize ?? samples },
  );
  return Math.max(1, Math.min(cores, Math.floor((first?.count ?? 0) / MIN_SAMPLES_PER_THREAD)));
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** Refuses more classes than an evaluation can hold (its confusion matrix is classes²). */
function checkClassCount(data: LoadedData): void {
  const classes = data.train.classCount;
  if (classes > MAX_CONFUSION_CLASSES) {
    throw new UsageError(
      `the data has ${classes} classes (labels up to ${classes - 1}); gradswarm takes at most ${MAX_CONFUSION_CLASSES} - help: number the classes 0 to K-1`,
    );
  }
}

/** The warnings for this run's settings (setting-warnings.ts). */
function warningsFor(args: TrainingArgs, data: LoadedData): string[] {
  return settingWarnings({
    trainCount: data.train.count,
    batchSize: args.batchSize,
    minibatches: args.minibatches,
    testFraction: args.test === undefined ? args.testFraction : undefined,
    threads: args.threads,
    cores: availableParallelism(),
    dataset: args.dataset,
    scale: args.scale,
    features: data.train.features,
  });
}

/**
 * Writes --out (or, failing that, a fallback file, see output-paths.ts), --metrics and
 * --report; says what failed.
 * @returns true if everything asked for was written where asked
 */
function writeOutputs(
  args: TrainingArgs,
  model: () => string,
  recorder: MetricsRecorder,
  interrupted: boolean,
  log: (line: string) => void,
): boolean {
  let ok = true;
  if (args.out !== undefined) {
    const written = writeModelSomewhere(args.out, model(), writeFileAtomic, log);
    if (written.asked) log(`model written to ${args.out}${interrupted ? ' (as of the interruption)' : ''}`);
    ok &&= written.asked;
  }
  const write = (path: string, text: () => string, done?: string): void => {
    try {
      writeFileAtomic(path, text());
      if (done) log(done);
    } catch (err) {
      log(`gradswarm: error: ${(err as Error).message}`);
      ok = false;
    }
  };
  if (args.metrics !== undefined) write(args.metrics, () => recorder.toJson());
  if (args.report !== undefined)
    write(args.report, () => renderTrainingReport(recorder.document), `report written to ${args.report}`);
  return ok;
}

/**
 * The second Ctrl-C: between two steps the weights are whole (an update is synchronous, and a
 * signal is handled only between event-loop turns), so the model and a checkpoint as of the last
 * finished step are safe to write at once; the metrics and report need the end of the run.
 * @param taken steps this process finished (0: nothing is written), `step` the weights' step
 */
function writeWhatIsSafe(
  args: TrainingArgs,
  taken: number,
  step: number,
  model: () => string,
  coordinator: Coordinator,
  log: (line: string) => void,
): void {
  if (taken === 0) {
    log('quitting now: nothing was written (no step was taken)');
    return;
  }
  if (args.out !== undefined) {
    const written = writeModelSomewhere(args.out, model(), writeFileAtomic, log);
    if (written.asked) log(`quitting now: the model as of step ${step} was written to ${args.out}`);
  }
  coordinator.tryCheckpoint(0);
  if (args.out === undefined && args.checkpoint === undefined)
    log('quitting now: nothing was written (no --out or --checkpoint)');
  const skipped = [args.metrics !== undefined && '--metrics', args.report !== undefined && '--report'].filter(Boolean);
  if (skipped.length > 0) log(`quitting now: ${skipped.join(' and ')} not written (they need the end of the run)`);
}

/** Runs a whole training; resolves with the exit code. */
export async function runTraining(
  args: TrainingArgs,
  command: 'train' | 'coordinator',
  threadsDefault: number,
  net?: NetworkRun,
): Promise<number> {
  const options = trainingOptions(args);
  const resolved = resolveTrainingOptions(options); // throws on a bad option before any thread starts
  positiveInteger('threads', args.threads, command === 'coordinator');
  checkObservabilityArgs(args);
  const backend = selectBackend(args.kernel);
  // Before the data loads and long before training ends: a run must not find out at the end that it cannot save.
  checkOutputPaths(outputPathsOf(args));
  // Every line goes through the progress bar once it exists, so it prints above the bar.
  let progress: Progress | null = null;
  const log = (line: string): void => (progress ? progress.log(line) : void process.stderr.write(`${line}\n`));
  // Bound (and TLS checked) before the data loads: a taken port or a bad key is one line at once.
  // Unref'd until the server attaches, so a failure below does not keep the process alive.
  const listener = net ? await listen({ ...net.network, log }) : undefined;
  const data = loadTrainingData({
    dataset: args.dataset,
    test: args.test,
    testFraction: args.testFraction,
    scale: args.scale as 'none',
    labelColumn: args.labelColumn,
    header: args.header,
    validationFraction: args.validationFraction,
    classNames: args.classNames,
    seed: args.seed,
  });
  checkClassCount(data);
  const threads =
    args.threads ??
    (command === 'train' ? defaultTrainThreads(threadsDefault, resolved, data.train.count) : threadsDefault);
  const spec: ModelSpec = modelSpecFromArgs(args, data.train.featureCount, data.train.classCount);
  const resume = args.resume ? loadCheckpoint(args.checkpoint!) : undefined;
  if (resume) checkResumable(resume, spec, resolved, data.trainFingerprint);
  const run = await createRun({
    spec,
    data: { train: data.train, test: data.test, fingerprint: data.trainFingerprint, name: args.dataset },
    training: options,
    threads,
    backend,
    poolUpdate: args.poolUpdate === true,
    network: net?.network,
    listener,
    checkpoint: args.checkpoint === undefined ? undefined : { dir: args.checkpoint, everySteps: args.checkpointEvery },
    resume,
    evaluateEvery: args.evalEvery,
    log,
  });
  const { coordinator, pool } = run;
  const observability = observe(
    coordinator,
    args,
    threads,
    log,
    listener && net ? { listener, tokens: net.dashboardTokens } : undefined,
  );
  let traced = true;
  const trainer = coordinator.trainer;
  const o = trainer.options;
  for (const line of data.description) log(line);
  log(
    `model: ${spec.layers.join('-')} ${spec.hidden}/${spec.output}+${spec.loss}, ${trainer.params.length} parameters; kernel backend: ${backend.name}; local threads: ${threads}`,
  );
  if (resume) log(`resuming at epoch ${resume.state.epoch + 1}, step ${resume.state.step}`);
  for (const line of warningsFor(args, data)) log(line);

  const recorder = new MetricsRecorder({
    command,
    dataset: args.dataset,
    test: args.test ?? null,
    trainFingerprint: data.trainFingerprint,
    spec,
    options: o,
    backend: backend.name,
    threads,
  });
  if (resume) for (const cost of resume.minibatchCost) recorder.document.minibatchCost.push(cost);
  const bar = new Progress({
    totalSteps: Math.min(trainer.batches.length * o.epochs, o.maxSteps ?? Infinity),
    epochs: o.epochs,
    enabled: args.progress && !args.json,
    done: resume?.state.step ?? 0,
  });
  const finalCost = new FinalCostTracker();
  const validation = data.validation ? new EarlyStopping(args.earlyStop) : null;
  // With --early-stop the best validation epoch's weights are the model (also when interrupted).
  const kept = (params: Float32Array): Float32Array =>
    (args.earlyStop !== undefined && validation?.best?.params) || params;
  const model = (params: Float32Array) => modelText(spec, kept(params), data, args.dataset, o.cost);
  const firstStep = resume?.state.step ?? 0;
  const stepsTaken = (): number => trainer.state().step - firstStep;
  let last: FinalEvaluation | null = null;
  const evaluateAll = (params: Float32Array) => ({
    train: evaluate(backend, spec, params, data.train, o.cost),
    test: data.test ? evaluate(backend, spec, params, data.test, o.cost) : null,
  });
  // The recorder and the terminal follow the run's events (in this order, as before: record, then draw).
  recorder.subscribe(run.events);
  run.events.on('step', (info) => {
    finalCost.step(info.epoch, info.cost);
    bar.step(info.epoch, info.cost, info.samplesSeen / Math.max(info.trainingMs / 1000, 1e-9));
  });
  run.events.on('reassigned', ({ source, shards, to }) =>
    log(`step: ${shards.length} shard(s) of ${source.label} recomputed by ${to.map((t) => t.label).join(', ')}`),
  );
  run.events.on('epoch', (info) => {
    finalCost.epochEnd(info.epoch, info.cost);
    const ev = info.evaluation;
    if (ev) last = { train: ev.trainAccuracy, test: ev.testAccuracy ?? null, testCost: ev.testCost ?? null };
    const acc = ev
      ? `, train ${pct(ev.trainAccuracy)}${ev.testAccuracy !== undefined ? `, test ${pct(ev.testAccuracy)}` : ''}`
      : '';
    let held = '';
    if (validation && data.validation) {
      const cost = evaluate(backend, spec, info.params, data.validation, o.cost).cost;
      const stop = validation.observe(info.epoch, cost, info.params);
      held = `, validation cost ${cost.toFixed(5)}`;
      if (stop && info.epoch + 1 < o.epochs) {
        const best = validation.best!;
        trainer.endAfterEpoch();
        held += ` - early stop: no lower validation cost for ${args.earlyStop} epochs; keeping epoch ${best.epoch + 1} (${best.cost.toFixed(5)})`;
      }
    }
    bar.epoch(`epoch ${info.epoch + 1}/${o.epochs}: cost ${info.cost.toFixed(5)}${acc}${held}`, ev?.testAccuracy);
  });

  const interrupts = new Interrupts({
    log,
    stop: () => run.stop(),
    quitNow: () => {
      writeWhatIsSafe(args, stepsTaken(), trainer.state().step, () => model(trainer.params), coordinator, log);
      progress?.stop();
      process.exit(EXIT_INTERRUPTED);
    },
  });
  interrupts.install();
  try {
    let result;
    try {
      const url = await run.start();
      if (net && url) {
        net.announce(url);
        // A signal during start-up has already stopped the run: waiting would only wait.
        if (net.minWorkers > 0 && !interrupts.requested) {
          log(`waiting for ${net.minWorkers} worker${net.minWorkers === 1 ? '' : 's'} to join`);
          await run.waitForWorkers(net.minWorkers).catch(() => undefined);
        }
      }
      if (!interrupts.requested) {
        progress = bar;
        bar.begin();
        result = await run.run();
      }
    } finally {
      bar.stop();
      progress = null;
      traced = observability.finish(stepsTaken() > 0);
      await run.close(result && !result.interrupted ? 'finished' : 'coordinator stopped');
    }

    // Stopped before the first step (while waiting for workers, say): an untrained model is no
    // result. (A resumed run with nothing left to do is not stopped: it reports its model.)
    if (!result || (result.interrupted && stepsTaken() === 0)) {
      log('stopped before the first step: nothing was written');
      return EXIT_INTERRUPTED;
    }
    return finish(result);
  } finally {
    interrupts.uninstall();
  }

  function finish(result: Awaited<ReturnType<Coordinator['run']>>): number {
    if (result.interrupted) log(`interrupted after ${result.steps} steps (epoch ${result.epochsCompleted + 1})`);
    const params = kept(result.params);
    const best = validation?.best;
    if (args.earlyStop !== undefined && best)
      log(`model of epoch ${best.epoch + 1} kept: the lowest validation cost, ${best.cost.toFixed(5)}`);
    // An interrupted run is evaluated now; a finished one was evaluated after its last epoch
    // (unless early stopping keeps another epoch's weights).
    const finalEval: FinalEvaluation =
      !result.interrupted && last && params === result.params
        ? last
        : (() => {
            const ev = evaluateAll(params);
            return { train: ev.train.accuracy, test: ev.test?.accuracy ?? null, testCost: ev.test?.cost ?? null };
          })();
    // A resumed run that took no step of its own has no epoch mean: the last minibatch's cost is all there is.
    const cost = finalCost.result() ?? {
      cost: result.finalCost,
      epoch: result.epochsCompleted,
      complete: true,
      lastMinibatch: true,
    };
    const summary = buildRunSummary({
      result,
      evaluation: finalEval,
      cost,
      spec,
      backend: backend.name,
      threads,
      workers: coordinator.membership.admittedCount,
      reproducible: o.reproducible ?? null,
      poolBytes: pool?.messageBytes,
    });
    recorder.setSummary({ ...summary });
    {
      const evaluated = data.test ?? data.train;
      const ev = evaluate(backend, spec, params, evaluated, o.cost);
      const report = collectReportData(
        spec.layers,
        params,
        data.train,
        evaluated,
        ev.predictions,
        ev.confusion,
        data.test ? 'test' : 'train',
      );
      recorder.setReport(data.classNames ? { ...report, classNames: data.classNames } : report);
    }
    const written = writeOutputs(args, () => model(result.params), recorder, result.interrupted, log);

    process.stdout.write(summaryText(summary, cost, net !== undefined));
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (result.interrupted) return EXIT_INTERRUPTED;
    return written && traced ? EXIT_OK : EXIT_FAILURE;
  }
}
