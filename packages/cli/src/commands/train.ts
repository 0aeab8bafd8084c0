/**
 * `gradswarm train`: the single-machine trainer. Loads and splits the data, builds the model,
 * runs the coordinator's training loop with the local gradient source, reports progress and
 * per-epoch accuracy, and writes the model and metrics. SIGINT/SIGTERM stop after the current
 * step and still write the model so far.
 */
import { DEFAULT_LOSS_FOR_OUTPUT, evaluate, modelToJson, selectBackend, validateModelSpec, type LossName, type ModelSpec } from '@gradswarm/core';
import { MetricsRecorder, resolveTrainingOptions, Trainer, type TrainingOptions } from '@gradswarm/coordinator';
import { availableParallelism } from 'node:os';
import { LocalPool } from '@gradswarm/worker';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.js';
import { costFlags, dataFlags, DEFAULT_HIDDEN, modelFlags, optimizerFlags, outputFlags, parallelFlags } from '../flags.js';
import { loadTrainingData } from '../load-data.js';
import { parseIntList, resolveLayers } from '../parse.js';
import { Progress } from '../progress.js';
import { writeFileAtomic } from '../write-file.js';

const trainFlags = { ...dataFlags, ...modelFlags, ...costFlags, ...optimizerFlags, ...parallelFlags, ...outputFlags };

type TrainArgs = ArgumentsCamelCase<ReturnType<typeof build> extends Argv<infer T> ? T : never>;

function build(y: Argv) {
  return y.options(trainFlags).example('$0 train', 'train 784-100-10 on the embedded MNIST digits').example('$0 train --dataset digits:digits.csv.gz --layers 30 --epochs 50', 'train on the UCI digits');
}

/** Checks the integer flags yargs cannot constrain, and builds the trainer's options. */
function trainingOptions(args: TrainArgs): TrainingOptions {
  for (const flag of ['epochs', 'batch-size', 'minibatches', 'threads', 'reproducible'] as const) {
    const v = args[flag] as number | undefined;
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new UsageError(`--${flag} must be a positive integer, got ${v}`);
  }
  if (args.batchSize !== undefined && args.minibatches !== undefined) {
    throw new UsageError('--batch-size and --minibatches are exclusive - help: give one of them');
  }
  return {
    epochs: args.epochs,
    batchSize: args.batchSize,
    minibatches: args.minibatches,
    learningRate: args.lr,
    momentum: args.momentum,
    nesterov: args.nesterov,
    decay: args.decay,
    decayUnit: args.decayUnit as TrainingOptions['decayUnit'],
    decayKind: args.decayKind as TrainingOptions['decayKind'],
    l1: args.l1,
    l2: args.l2,
    reduction: args.reduction as TrainingOptions['reduction'],
    init: args.init as TrainingOptions['init'],
    initEpsilon: args.initEpsilon,
    seed: args.seed,
    reproducible: args.reproducible,
    balance: args.balance as TrainingOptions['balance'],
  };
}

/** The model spec from --layers/--hidden/--output/--loss and the data's shape. */
export function modelSpecFromArgs(args: { layers?: string; hidden: string; output: string; loss?: string }, inputSize: number, classCount: number): ModelSpec {
  const layers = resolveLayers(args.layers === undefined ? undefined : parseIntList('layers', args.layers), inputSize, classCount, DEFAULT_HIDDEN);
  const output = args.output as ModelSpec['output'];
  const loss = (args.loss ?? DEFAULT_LOSS_FOR_OUTPUT[output]) as LossName;
  try {
    return validateModelSpec({ layers, hidden: args.hidden as ModelSpec['hidden'], output, loss });
  } catch (err) {
    const message = (err as Error).message.replace(/^spec\./, '--');
    const hint = /does not go with output/.test(message) ? ' - help: pair --output sigmoid with bce, softmax with ce, identity with mse' : '';
    throw new UsageError(`${message}${hint}`);
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

async function run(args: TrainArgs): Promise<number> {
  const options = trainingOptions(args);
  const evalEvery = args.evalEvery;
  if (!(Number.isInteger(evalEvery) && evalEvery >= 0)) throw new UsageError(`--eval-every must be an integer >= 0, got ${evalEvery}`);
  const backend = selectBackend(args.kernel);
  const data = loadTrainingData({ dataset: args.dataset, test: args.test, testFraction: args.testFraction, scale: args.scale as 'none', labelColumn: args.labelColumn, header: args.header, seed: args.seed });
  const spec = modelSpecFromArgs(args, data.train.featureCount, data.train.classCount);
  resolveTrainingOptions(options); // throws on a bad option before any thread starts
  const pool = new LocalPool({ spec, data: data.train, backend: backend.name, threads: args.threads ?? availableParallelism() });
  const trainer = new Trainer(spec, data.train, pool.lanes, options);
  const o = trainer.options;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  for (const line of data.description) log(line);
  log(`model: ${spec.layers.join('-')} ${spec.hidden}/${spec.output}+${spec.loss}, ${trainer.params.length} parameters; kernel backend: ${backend.name}; threads: ${pool.threads}`);

  const recorder = new MetricsRecorder({ command: 'train', dataset: args.dataset, test: args.test ?? null, trainFingerprint: data.trainFingerprint, spec, options: o, backend: backend.name, threads: pool.threads });
  const batchesPerEpoch = o.minibatches ?? Math.ceil(data.train.count / (o.batchSize ?? 1));
  const progress = new Progress({ totalSteps: batchesPerEpoch * o.epochs, epochs: o.epochs, enabled: args.progress && !args.json });
  let lastTrainAcc: number | undefined;
  let lastTestAcc: number | undefined;
  const evaluateAll = (params: Float32Array) => ({
    train: evaluate(backend, spec, params, data.train, o.cost),
    test: data.test ? evaluate(backend, spec, params, data.test, o.cost) : null,
  });

  const onSignal = (): void => trainer.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result;
  try {
    result = await trainer.run({
      onStep: (info) => {
        recorder.recordStep(info);
        progress.step(info.epoch, info.cost, info.samplesSeen / Math.max(info.trainingMs / 1000, 1e-9));
      },
      onEpoch: (info) => {
        const last = info.epoch === o.epochs - 1;
        const due = last || (evalEvery > 0 && (info.epoch + 1) % evalEvery === 0);
        const ev = due ? evaluateAll(info.params) : null;
        lastTrainAcc = ev?.train.accuracy ?? lastTrainAcc;
        lastTestAcc = ev?.test?.accuracy ?? lastTestAcc;
        recorder.recordEpoch({ epoch: info.epoch, cost: info.cost, trainingMs: info.trainingMs, trainAccuracy: ev?.train.accuracy, testAccuracy: ev?.test?.accuracy, testCost: ev?.test?.cost });
        const acc = ev ? `, train ${pct(ev.train.accuracy)}${ev.test ? `, test ${pct(ev.test.accuracy)}` : ''}` : '';
        progress.epoch(`epoch ${info.epoch + 1}/${o.epochs}: cost ${info.cost.toFixed(5)}${acc}`, ev?.test?.accuracy);
      },
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
  }

  if (result.interrupted) {
    log(`interrupted after ${result.steps} steps (epoch ${result.epochsCompleted + 1})`);
  }
  // An interrupted run is evaluated now; a finished one was evaluated after its last epoch.
  const final = result.interrupted || lastTrainAcc === undefined ? evaluateAll(result.params) : null;
  const trainAccuracy = final ? final.train.accuracy : lastTrainAcc!;
  const testAccuracy = final ? (final.test?.accuracy ?? null) : (lastTestAcc ?? null);
  const seconds = result.trainingMs / 1000;
  const bytes = pool.messageBytes;
  const summary = {
    trainAccuracy,
    testAccuracy,
    finalCost: result.finalCost,
    epochs: result.epochsCompleted,
    steps: result.steps,
    seconds,
    samplesPerSecond: seconds > 0 ? result.samplesSeen / seconds : 0,
    backend: backend.name,
    threads: pool.threads,
    reproducible: o.reproducible ?? null,
    postMessageBytesPerStep: result.steps > 0 ? (bytes.sent + bytes.received) / result.steps : 0,
    layers: spec.layers,
    interrupted: result.interrupted,
  };
  recorder.setSummary(summary);
  if (args.out !== undefined) {
    const scaling = data.scaler.kind === 'none' ? undefined : { kind: data.scaler.kind, offset: [...data.scaler.offset], factor: [...data.scaler.factor] };
    writeFileAtomic(args.out, modelToJson({ spec, params: result.params, scaling }));
    log(`model written to ${args.out}${result.interrupted ? ' (as of the interruption)' : ''}`);
  }
  if (args.metrics !== undefined) writeFileAtomic(args.metrics, recorder.toJson());

  const rate = Math.round(summary.samplesPerSecond).toLocaleString('en-US');
  process.stdout.write(
    `trained ${spec.layers.join('-')} for ${result.epochsCompleted} epochs in ${seconds.toFixed(1)} s (${rate} samples/s, ${backend.name}, ${pool.threads} thread${pool.threads === 1 ? '' : 's'})\n` +
      `final cost ${result.finalCost.toFixed(5)}; train accuracy ${pct(trainAccuracy)}${testAccuracy === null ? '' : `; test accuracy ${pct(testAccuracy)}`}\n`,
  );
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return result.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
}

export function trainCommand(setExitCode: (code: number) => void): CommandModule<object, TrainArgs> {
  return {
    command: 'train',
    describe: 'train on this machine (the single-node trainer)',
    builder: build as unknown as CommandModule<object, TrainArgs>['builder'],
    handler: async (args) => setExitCode(await run(args)),
  };
}
