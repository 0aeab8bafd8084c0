/**
 * Training options: what a user may set (TrainingOptions, all optional but the model and data)
 * and the resolved, validated, frozen form the trainer runs on (ResolvedTrainingOptions).
 */
import {
  DECAY_KINDS,
  DEFAULT_FULL_BATCH_OPTIONS,
  FULL_BATCH_OPTIMIZER_NAMES,
  INIT_NAMES,
  isFullBatchOptimizer,
  OPTIMIZER_NAMES,
  resolveCostOptions,
  type CostOptions,
  type DecayKind,
  type DecayUnit,
  type FullBatchOptimizerName,
  type InitName,
  type LrScheduleOptions,
  type OptimizerName,
  type OptimizerOptions,
} from '@gradswarm/core';
import { resolveLocalSgd, type LocalSgdOptions, type ResolvedLocalSgd } from './local-sgd-options.js';

export interface TrainingOptions {
  epochs?: number;
  /** Samples per minibatch; exclusive with `minibatches`. */
  batchSize?: number;
  /** Number of minibatches per epoch (numpy array_split); exclusive with `batchSize`. */
  minibatches?: number;
  learningRate?: number;
  /**
   * `sgd` (default), `adam` or `adamw` step once per minibatch; `cg`, `lbfgs` and `tnc` are
   * full-batch (core's fullbatch/): every evaluation of J and ∇J covers the whole training set.
   */
  optimizer?: TrainerOptimizerName;
  /** cg, lbfgs, tnc: iterations at most [100] (scipy's maxiter). */
  maxIterations?: number;
  /** cg, lbfgs, tnc: stop once this many evaluations of J and ∇J are done (scipy's maxfun) [no limit]. */
  maxEvaluations?: number;
  /** cg, lbfgs, tnc: stop when ‖∇J‖∞ ≤ gtol [1e-5]. */
  gtol?: number;
  /** lbfgs: correction pairs kept [10]. */
  history?: number;
  /** sgd: momentum α in [0, 1). */
  momentum?: number;
  /** sgd: Nesterov momentum. */
  nesterov?: boolean;
  /** adam, adamw: first-moment decay in [0, 1). */
  beta1?: number;
  /** adam, adamw: second-moment decay in [0, 1). */
  beta2?: number;
  /** adam, adamw: added to √v̂, > 0. */
  eps?: number;
  /** adamw: decoupled weight decay ≥ 0. */
  weightDecay?: number;
  decay?: number;
  decayUnit?: DecayUnit;
  /** The schedule: inverse (default), compound, step or cosine (core's lr-schedule.ts). */
  decayKind?: DecayKind;
  /** step schedule: decay units between two multiplications by gamma (required by step). */
  stepSize?: number;
  /** step schedule: the factor γ in (0, 1] [0.1]. */
  gamma?: number;
  /** Global steps of linear learning-rate warm-up [0]. */
  warmupSteps?: number;
  l1?: number;
  l2?: number;
  reduction?: CostOptions['reduction'];
  init?: InitName;
  /** ε of the `uniform` initialiser. */
  initEpsilon?: number;
  seed?: number;
  /** Shuffle the training samples every epoch (seeded). */
  shuffle?: boolean;
  /**
   * Reproducible mode: cut every minibatch into this many virtual shards, each computed whole
   * and summed in virtual-shard order, so the model is bit-identical for any number of threads
   * and workers. Undefined: default mode (one shard per source).
   */
  reproducible?: number;
  /** How shards are sized: `equal` (default; repeatable) or by measured `throughput`. */
  balance?: 'equal' | 'throughput';
  /** Stop after this many steps in all (benchmarks); undefined: run every epoch. */
  maxSteps?: number;
  /** Local SGD / DiLoCo rounds (local-sgd-options.ts); undefined: the synchronous step. */
  localSgd?: LocalSgdOptions;
}

/** Every optimizer the trainer runs: the minibatch ones and the full-batch ones. */
export type TrainerOptimizerName = OptimizerName | FullBatchOptimizerName;

/** A full-batch run's settings (absent for the minibatch optimizers). */
export interface ResolvedFullBatchOptions {
  readonly gtol: number;
  /** lbfgs only; the others carry the default, unused. */
  readonly history: number;
  readonly maxIterations: number;
  readonly maxEvaluations: number | undefined;
}

export interface ResolvedTrainingOptions {
  /** For a full-batch optimizer: its iterations at most (each is then an "epoch" of the run's events). */
  readonly epochs: number;
  readonly batchSize: number | undefined;
  readonly minibatches: number | undefined;
  readonly learningRate: number;
  readonly optimizer: TrainerOptimizerName;
  /** Set for cg, lbfgs and tnc only. */
  readonly fullBatch?: ResolvedFullBatchOptions;
  readonly momentum: number;
  readonly nesterov: boolean;
  /** Set for adam and adamw only (so an sgd run's options read as before optimizers had a choice). */
  readonly beta1: number | undefined;
  readonly beta2: number | undefined;
  readonly eps: number | undefined;
  /** Set for adamw only. */
  readonly weightDecay: number | undefined;
  readonly decay: number;
  readonly decayUnit: DecayUnit;
  readonly decayKind: DecayKind;
  /** Set for the step schedule only; undefined fields keep older checkpoints' options equal. */
  readonly stepSize: number | undefined;
  readonly gamma: number | undefined;
  /** Undefined when there is no warm-up (0). */
  readonly warmupSteps: number | undefined;
  readonly cost: CostOptions;
  readonly init: InitName;
  readonly initEpsilon: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly reproducible: number | undefined;
  readonly balance: 'equal' | 'throughput';
  readonly maxSteps: number | undefined;
  /** Present only for local SGD, so a synchronous run's options read as before it existed. */
  readonly localSgd?: ResolvedLocalSgd;
}

/**
 * Defaults chosen so `gradswarm train` alone reaches ≥95% test accuracy on the embedded MNIST
 * digits in well under a minute (with relu hidden units and a softmax output, see cli flags.ts).
 * With the mean reduction λ2 is divided by the batch size, so 0.01 is a weight decay of 2e-4
 * per step at batch 50.
 */
export const DEFAULT_TRAINING_OPTIONS = Object.freeze({
  epochs: 12,
  batchSize: 50,
  learningRate: 0.05,
  optimizer: 'sgd' as OptimizerName,
  momentum: 0.9,
  nesterov: false,
  // PyTorch's Adam/AdamW defaults.
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  decay: 0.05,
  decayUnit: 'epoch' as DecayUnit,
  decayKind: 'inverse' as DecayKind,
  l1: 0,
  l2: 0.01,
  reduction: 'mean' as const,
  init: 'he' as InitName,
  initEpsilon: 0.12,
  seed: 1,
  shuffle: true,
});

/** --max-iter when none is given. */
export const DEFAULT_MAX_ITERATIONS = 100;

/** γ of the step schedule when none is given (PyTorch's StepLR default). */
export const DEFAULT_GAMMA = 0.1;

function checkNumber(name: string, v: unknown, ok: (x: number) => boolean, constraint: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`options.${name} must be a number, got ${JSON.stringify(v)}`);
  if (!ok(v)) throw new RangeError(`options.${name} must be ${constraint}, got ${v}`);
}

const isPositiveInt = (x: number): boolean => Number.isInteger(x) && x >= 1;
const isNonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0;

/**
 * Validates each field, checks cross-field rules, merges defaults and freezes.
 * @throws TypeError for a wrongly typed field, RangeError for a bad value or conflicting fields
 */
export function resolveTrainingOptions(options: TrainingOptions = {}): ResolvedTrainingOptions {
  checkNumber('epochs', options.epochs, isPositiveInt, 'a positive integer');
  checkNumber('batchSize', options.batchSize, isPositiveInt, 'a positive integer');
  checkNumber('minibatches', options.minibatches, isPositiveInt, 'a positive integer');
  checkNumber('learningRate', options.learningRate, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  checkNumber('momentum', options.momentum, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber('beta1', options.beta1, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber('beta2', options.beta2, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber('eps', options.eps, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  checkNumber('weightDecay', options.weightDecay, isNonNegative, 'a finite number >= 0');
  checkNumber('decay', options.decay, isNonNegative, 'a finite number >= 0');
  checkNumber('initEpsilon', options.initEpsilon, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  checkNumber(
    'reproducible',
    options.reproducible,
    (x) => Number.isInteger(x) && x >= 1 && x <= 4096,
    'an integer in [1, 4096]',
  );
  checkNumber('maxSteps', options.maxSteps, isPositiveInt, 'a positive integer');
  checkNumber('seed', options.seed, (x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff, 'an integer in [0, 2^32)');
  if (options.decayUnit !== undefined && options.decayUnit !== 'epoch' && options.decayUnit !== 'step') {
    throw new RangeError(`options.decayUnit must be epoch or step, got ${String(options.decayUnit)}`);
  }
  if (options.decayKind !== undefined && !DECAY_KINDS.includes(options.decayKind)) {
    throw new RangeError(
      `options.decayKind must be one of ${DECAY_KINDS.join(', ')}, got ${String(options.decayKind)}`,
    );
  }
  checkNumber('stepSize', options.stepSize, isPositiveInt, 'a positive integer');
  checkNumber('gamma', options.gamma, (x) => x > 0 && x <= 1, 'in (0, 1]');
  checkNumber('warmupSteps', options.warmupSteps, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  const isStep = options.decayKind === 'step';
  if (isStep && options.stepSize === undefined) {
    throw new RangeError(
      'options.decayKind step needs options.stepSize - help: e.g. options.stepSize 5 (epochs between drops, or steps with options.decayUnit step)',
    );
  }
  if (!isStep && (options.stepSize !== undefined || options.gamma !== undefined)) {
    throw new RangeError(
      `options.${options.stepSize !== undefined ? 'stepSize' : 'gamma'} is for the step schedule - help: set options.decayKind step or leave it out`,
    );
  }
  if (options.init !== undefined && !INIT_NAMES.includes(options.init)) {
    throw new RangeError(`options.init must be one of ${INIT_NAMES.join(', ')}, got ${String(options.init)}`);
  }
  if (options.balance !== undefined && options.balance !== 'equal' && options.balance !== 'throughput') {
    throw new RangeError(`options.balance must be equal or throughput, got ${String(options.balance)}`);
  }
  if (
    options.optimizer !== undefined &&
    !OPTIMIZER_NAMES.includes(options.optimizer as OptimizerName) &&
    !isFullBatchOptimizer(options.optimizer)
  ) {
    throw new RangeError(
      `options.optimizer must be one of ${[...OPTIMIZER_NAMES, ...FULL_BATCH_OPTIMIZER_NAMES].join(', ')}, got ${String(options.optimizer)}`,
    );
  }
  const optimizer = options.optimizer ?? DEFAULT_TRAINING_OPTIONS.optimizer;
  if (isFullBatchOptimizer(optimizer)) return resolveFullBatch(options, optimizer);
  for (const key of ['maxIterations', 'maxEvaluations', 'gtol', 'history'] as const) {
    if (options[key] !== undefined)
      throw new RangeError(
        `options.${key} is for the full-batch optimizers (cg, lbfgs, tnc), not ${optimizer} - help: set options.optimizer or leave options.${key} out`,
      );
  }
  if (optimizer === 'sgd') {
    for (const key of ['beta1', 'beta2', 'eps', 'weightDecay'] as const) {
      if (options[key] !== undefined)
        throw new RangeError(
          `options.${key} is for ${key === 'weightDecay' ? 'adamw' : 'adam and adamw'}, not sgd - help: set options.optimizer or leave options.${key} out`,
        );
    }
  } else if (options.nesterov === true) {
    throw new RangeError(`options.nesterov is for sgd, not ${optimizer} - help: leave options.nesterov out`);
  }
  if (optimizer === 'adam' && options.weightDecay !== undefined) {
    throw new RangeError(
      'options.weightDecay is for adamw (decoupled weight decay) - help: use options.optimizer adamw, or options.l2 for L2 with adam',
    );
  }
  if (options.batchSize !== undefined && options.minibatches !== undefined) {
    throw new RangeError('options.batchSize and options.minibatches are exclusive; give one');
  }
  const d = DEFAULT_TRAINING_OPTIONS;
  const localSgd = resolveLocalSgd(options.localSgd, optimizer);
  const cost = resolveCostOptions({
    l1: options.l1 ?? d.l1,
    l2: options.l2 ?? d.l2,
    reduction: options.reduction ?? d.reduction,
  });
  return Object.freeze({
    epochs: options.epochs ?? d.epochs,
    batchSize: options.minibatches === undefined ? (options.batchSize ?? d.batchSize) : undefined,
    minibatches: options.minibatches,
    learningRate: options.learningRate ?? d.learningRate,
    optimizer,
    momentum: options.momentum ?? d.momentum,
    nesterov: options.nesterov ?? d.nesterov,
    beta1: optimizer === 'sgd' ? undefined : (options.beta1 ?? d.beta1),
    beta2: optimizer === 'sgd' ? undefined : (options.beta2 ?? d.beta2),
    eps: optimizer === 'sgd' ? undefined : (options.eps ?? d.eps),
    weightDecay: optimizer === 'adamw' ? (options.weightDecay ?? d.weightDecay) : undefined,
    decay: options.decay ?? d.decay,
    decayUnit: options.decayUnit ?? d.decayUnit,
    decayKind: options.decayKind ?? d.decayKind,
    stepSize: isStep ? options.stepSize : undefined,
    gamma: isStep ? (options.gamma ?? DEFAULT_GAMMA) : undefined,
    warmupSteps: options.warmupSteps ? options.warmupSteps : undefined,
    cost,
    init: options.init ?? d.init,
    initEpsilon: options.initEpsilon ?? d.initEpsilon,
    seed: options.seed ?? d.seed,
    shuffle: options.shuffle ?? d.shuffle,
    reproducible: options.reproducible,
    balance: options.balance ?? 'equal',
    maxSteps: options.maxSteps,
    ...(localSgd === undefined ? {} : { localSgd }),
  });
}

/**
 * A full-batch run: the whole training set is one batch, in its own order (no shuffle: the
 * order changes no value but the bits, and every source must agree on it), and each iteration
 * is one epoch of the plan. The minibatch optimizers' own settings are refused.
 */
function resolveFullBatch(options: TrainingOptions, optimizer: FullBatchOptimizerName): ResolvedTrainingOptions {
  checkNumber('maxIterations', options.maxIterations, isPositiveInt, 'a positive integer');
  checkNumber('maxEvaluations', options.maxEvaluations, isPositiveInt, 'a positive integer');
  checkNumber('gtol', options.gtol, isNonNegative, 'a finite number >= 0');
  checkNumber('history', options.history, isPositiveInt, 'a positive integer');
  if (options.history !== undefined && optimizer !== 'lbfgs')
    throw new RangeError(`options.history is for lbfgs, not ${optimizer} - help: leave options.history out`);
  const minibatchOnly = [
    'epochs',
    'batchSize',
    'minibatches',
    'learningRate',
    'momentum',
    'beta1',
    'beta2',
    'eps',
    'weightDecay',
    'decay',
    'decayUnit',
    'decayKind',
    'stepSize',
    'gamma',
    'maxSteps',
  ] as const;
  for (const key of minibatchOnly) {
    if (options[key] !== undefined)
      throw new RangeError(
        `options.${key} is for the minibatch optimizers, not ${optimizer} (a line search sets each step, over the whole training set) - help: leave options.${key} out`,
      );
  }
  if (options.nesterov === true || (options.warmupSteps ?? 0) > 0)
    throw new RangeError(
      `options.${options.nesterov === true ? 'nesterov' : 'warmupSteps'} is for the minibatch optimizers, not ${optimizer} - help: leave it out`,
    );
  const base = resolveTrainingOptions({
    ...options,
    ...{ maxIterations: undefined, maxEvaluations: undefined, gtol: undefined, history: undefined },
    optimizer: 'sgd',
    momentum: 0,
    minibatches: 1,
    shuffle: false,
  });
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  return Object.freeze({
    ...base,
    optimizer,
    epochs: maxIterations,
    fullBatch: Object.freeze({
      gtol: options.gtol ?? DEFAULT_FULL_BATCH_OPTIONS.gtol,
      history: options.history ?? DEFAULT_FULL_BATCH_OPTIONS.history,
      maxIterations,
      maxEvaluations: options.maxEvaluations,
    }),
  });
}

/**
 * The optimizer the resolved options describe (fields the optimizer does not use are 0). A
 * full-batch run gets plain sgd, which it never steps: its trainer state stays one of the
 * known optimizers'.
 */
export function optimizerOptionsOf(options: ResolvedTrainingOptions): OptimizerOptions {
  return {
    name: isFullBatchOptimizer(options.optimizer) ? 'sgd' : options.optimizer,
    momentum: options.momentum,
    nesterov: options.nesterov,
    beta1: options.beta1 ?? 0,
    beta2: options.beta2 ?? 0,
    eps: options.eps ?? 0,
    weightDecay: options.weightDecay ?? 0,
  };
}

/**
 * The learning-rate schedule the resolved options describe.
 * @param batchesPerEpoch minibatches per epoch (the cosine schedule's length in steps)
 */
export function lrScheduleOf(options: ResolvedTrainingOptions, batchesPerEpoch: number): LrScheduleOptions {
  return {
    learningRate: options.learningRate,
    decay: options.decay,
    decayUnit: options.decayUnit,
    decayKind: options.decayKind,
    stepSize: options.stepSize,
    gamma: options.gamma,
    cosineUnits: options.decayUnit === 'epoch' ? options.epochs : options.epochs * batchesPerEpoch,
    warmupSteps: options.warmupSteps,
  };
}
