/**
 * Flag definitions shared by commands. yargs flags map 1:1 onto option names (camelCase).
 * Defaults shown in --help are the trainer's own defaults.
 */
import { DEFAULT_GAMMA, DEFAULT_TRAINING_OPTIONS } from '@gradswarm/coordinator';
import { knownBackends } from '@gradswarm/core';
import type { Options } from 'yargs';

const D = DEFAULT_TRAINING_OPTIONS;

/** --kernel's help, listing the choices (wasm-simd is wasm's own name for itself). */
export const KERNEL_DESCRIBE = `kernel backend: auto | ${knownBackends()
  .filter((name) => name !== 'wasm-simd')
  .join(' | ')} [$GRADSWARM_KERNEL or auto]`;

/** The hidden layer sizes used when --layers is not given. */
export const DEFAULT_HIDDEN = [100];
/** Fraction of --dataset held out as the test set when --test is not given. */
export const DEFAULT_TEST_FRACTION = 0.2;

export const dataFlags = {
  dataset: {
    type: 'string',
    default: 'mnist',
    describe: 'training data: mnist | idx:DIR | idx:IMAGES,LABELS | csv:FILE | digits:FILE',
    group: 'Data:',
  },
  test: {
    type: 'string',
    describe: 'separate test set (same forms as --dataset); default: hold out --test-fraction',
    group: 'Data:',
  },
  'test-fraction': {
    type: 'number',
    default: DEFAULT_TEST_FRACTION,
    describe: 'fraction of --dataset held out for testing when --test is absent',
    group: 'Data:',
  },
  scale: {
    choices: ['none', 'minmax', 'standard'],
    default: 'none',
    describe: 'feature scaling fitted on the training set',
    group: 'Data:',
  },
  'label-column': { type: 'string', describe: 'csv: label column: first | last | 0-based N [last]', group: 'Data:' },
  header: { type: 'string', describe: 'csv: first row is a header: auto | yes | no [auto]', group: 'Data:' },
  'class-names': {
    type: 'string',
    describe:
      'names of the classes 0, 1, … for the model file, e.g. cat,dog,bird (a CSV with string labels names its own)',
    group: 'Data:',
  },
} as const satisfies Record<string, Options>;

export const modelFlags = {
  layers: {
    type: 'string',
    describe:
      'all layer sizes when the first is the input size, e.g. 784,100,10; otherwise only the hidden ones, e.g. 100 or 256,64 [100]',
    group: 'Model:',
  },
  // relu/softmax by default: on the embedded digits it reaches 95-96% where the texts' sigmoid/bce
  // network (--hidden sigmoid --output sigmoid --init glorot) stays near 95% (README, "Defaults").
  hidden: {
    choices: ['sigmoid', 'tanh', 'relu', 'swish'],
    default: 'relu',
    describe: 'hidden activation',
    group: 'Model:',
  },
  output: {
    choices: ['sigmoid', 'softmax', 'identity'],
    default: 'softmax',
    describe: 'output activation',
    group: 'Model:',
  },
  loss: {
    choices: ['bce', 'ce', 'mse'],
    describe: 'loss: bce (sigmoid), ce (softmax), mse (identity or sigmoid) [by --output]',
    group: 'Model:',
  },
  init: { choices: ['glorot', 'uniform', 'he'], default: D.init, describe: 'weight initialisation', group: 'Model:' },
  'init-epsilon': {
    type: 'number',
    default: D.initEpsilon,
    describe: 'ε of --init uniform (ex4: 0.12, Raschka: 1.0)',
    group: 'Model:',
  },
} as const satisfies Record<string, Options>;

export const costFlags = {
  l1: { type: 'number', default: D.l1, describe: 'L1 strength λ1: cost + (λ1/2)Σ|w|', group: 'Cost:' },
  l2: { type: 'number', default: D.l2, describe: 'L2 strength λ2: cost + (λ2/2)Σw²', group: 'Cost:' },
  reduction: {
    choices: ['mean', 'sum'],
    default: D.reduction,
    describe: 'mean: J/m (ex4); sum: Raschka',
    group: 'Cost:',
  },
} as const satisfies Record<string, Options>;

export const optimizerFlags = {
  epochs: { type: 'number', default: D.epochs, describe: 'passes over the training set', group: 'Optimizer:' },
  steps: {
    type: 'number',
    describe: 'stop after this many steps in all (benchmarks) [all epochs]',
    group: 'Optimizer:',
  },
  'batch-size': { type: 'number', describe: `samples per minibatch [${D.batchSize}]`, group: 'Optimizer:' },
  minibatches: {
    type: 'number',
    describe: 'minibatches per epoch instead of --batch-size (numpy array_split)',
    group: 'Optimizer:',
  },
  lr: { type: 'number', default: D.learningRate, describe: 'learning rate η0', group: 'Optimizer:' },
  momentum: { type: 'number', default: D.momentum, describe: 'momentum α in [0, 1)', group: 'Optimizer:' },
  nesterov: { type: 'boolean', default: D.nesterov, describe: 'Nesterov momentum', group: 'Optimizer:' },
  optimizer: {
    choices: ['sgd', 'adam', 'adamw'],
    default: D.optimizer,
    describe:
      'sgd (momentum), adam, or adamw (Adam with decoupled weight decay); adam and adamw want a smaller --lr, e.g. 0.001',
    group: 'Optimizer:',
  },
  beta1: { type: 'number', describe: `adam, adamw: first-moment decay β1 in [0, 1) [${D.beta1}]`, group: 'Optimizer:' },
  beta2: {
    type: 'number',
    describe: `adam, adamw: second-moment decay β2 in [0, 1) [${D.beta2}]`,
    group: 'Optimizer:',
  },
  eps: { type: 'number', describe: `adam, adamw: ε added to √v̂ [${D.eps}]`, group: 'Optimizer:' },
  'weight-decay': {
    type: 'number',
    describe: `adamw: decoupled weight decay λ, w ← w·(1 − η·λ) each step [${D.weightDecay}]`,
    group: 'Optimizer:',
  },
  decay: { type: 'number', default: D.decay, describe: 'learning-rate decay d: η = η0/(1 + d·t)', group: 'Optimizer:' },
  'decay-unit': {
    choices: ['epoch', 'step'],
    default: D.decayUnit,
    describe: 't of the decay counts epochs or steps',
    group: 'Optimizer:',
  },
  schedule: {
    choices: ['inverse', 'compound', 'step', 'cosine'],
    alias: 'decay-kind',
    default: D.decayKind,
    describe:
      "learning-rate schedule: inverse η0/(1+d·t); compound: Raschka's per-epoch division; step: η0·γ^⌊t/step-size⌋; cosine: η0·(1+cos(πt/T))/2 over the run",
    group: 'Optimizer:',
  },
  'step-size': {
    type: 'number',
    describe: '--schedule step: epochs (or steps, by --decay-unit) between two multiplications by --gamma',
    group: 'Optimizer:',
  },
  gamma: {
    type: 'number',
    describe: `--schedule step: the factor γ in (0, 1] [${DEFAULT_GAMMA}]`,
    group: 'Optimizer:',
  },
  'warmup-steps': {
    type: 'number',
    default: 0,
    describe: 'scale η linearly from 1/W to 1 over the first W steps (0: no warm-up)',
    group: 'Optimizer:',
  },
  'validation-fraction': {
    type: 'number',
    describe: 'hold this fraction of the training set out (seeded) and report its cost every epoch',
    group: 'Optimizer:',
  },
  'early-stop': {
    type: 'number',
    describe:
      "stop after PATIENCE epochs without a lower validation cost, and keep the best epoch's model (needs --validation-fraction)",
    group: 'Optimizer:',
  },
  seed: {
    type: 'number',
    default: D.seed,
    describe: 'seed of every random draw (same seed, same run)',
    group: 'Optimizer:',
  },
} as const satisfies Record<string, Options>;

export const parallelFlags = {
  threads: {
    type: 'number',
    describe:
      'threads computing gradients on this machine [train: the cores, at most one per 200 samples of a minibatch; coordinator: the cores]',
    group: 'Parallel:',
  },
  reproducible: {
    type: 'number',
    describe:
      'cut every minibatch into S virtual shards summed in order: bit-identical models for any thread or worker count',
    group: 'Parallel:',
  },
  balance: {
    choices: ['equal', 'throughput'],
    default: 'equal',
    describe: 'shard sizes: equal (repeatable bit for bit) or by measured samples/s per thread',
    group: 'Parallel:',
  },
  'pool-update': {
    type: 'boolean',
    default: false,
    describe:
      "train: the pool's threads share each step's gradient sum and update, a slice of the parameters each, weights and gradients in shared memory (same bits)",
    group: 'Parallel:',
  },
} as const satisfies Record<string, Options>;

export const outputFlags = {
  out: { type: 'string', describe: 'write the trained model (JSON) here', group: 'Output:' },
  metrics: { type: 'string', describe: 'write per-minibatch cost and per-epoch figures (JSON) here', group: 'Output:' },
  report: {
    type: 'string',
    describe: 'write a self-contained HTML training report here (cost, accuracy, confusion matrix, digits, weights)',
    group: 'Output:',
  },
  json: {
    type: 'boolean',
    default: false,
    describe: 'print the summary as one JSON line (last line of stdout)',
    group: 'Output:',
  },
  'eval-every': {
    type: 'number',
    default: 1,
    describe: 'evaluate train/test accuracy every N epochs (0: only at the end)',
    group: 'Output:',
  },
  progress: {
    type: 'boolean',
    default: true,
    describe: 'show a progress bar on a terminal (--no-progress to hide)',
    group: 'Output:',
  },
  kernel: { type: 'string', describe: KERNEL_DESCRIBE, group: 'Output:' },
  config: {
    type: 'string',
    describe:
      'read flags from this JSON or YAML file (keys are the flag names, e.g. batch-size); flags given override it',
    group: 'Output:',
  },
} as const satisfies Record<string, Options>;

export const checkpointFlags = {
  checkpoint: {
    type: 'string',
    describe: 'directory for checkpoints (written atomically every --checkpoint-every steps and on SIGINT/SIGTERM)',
    group: 'Checkpoints:',
  },
  'checkpoint-every': {
    type: 'number',
    default: 0,
    describe: 'steps between checkpoints (0: only when stopped)',
    group: 'Checkpoints:',
  },
  resume: {
    type: 'boolean',
    default: false,
    describe: 'continue from the checkpoint in --checkpoint at its exact step',
    group: 'Checkpoints:',
  },
} as const satisfies Record<string, Options>;
