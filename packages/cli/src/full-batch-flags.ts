/**
 * Which flags go with a full-batch optimizer (--optimizer cg|lbfgs|tnc) and which with the
 * minibatch ones: a flag of the other kind would be silently ignored, so it is refused in one
 * line naming the flag and what to do. Flags with a default count as given when their value
 * differs from it (yargs fills them in either way).
 */
import { DEFAULT_TRAINING_OPTIONS } from '@gradswarm/coordinator';
import { isFullBatchOptimizer } from '@gradswarm/core';
import { UsageError } from './errors.js';

/** The flags this file looks at, as yargs parses them. */
export interface FullBatchArgs {
  optimizer: string;
  maxIter?: number;
  maxEvaluations?: number;
  gtol?: number;
  history?: number;
  epochs: number;
  batchSize?: number;
  minibatches?: number;
  steps?: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  decay: number;
  decayUnit: string;
  schedule: string;
  warmupSteps: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  stepSize?: number;
  gamma?: number;
}

const D = DEFAULT_TRAINING_OPTIONS;

/**
 * @throws UsageError for a minibatch flag with a full-batch optimizer, a full-batch flag with a
 *   minibatch optimizer, or --history without lbfgs
 */
export function checkFullBatchFlags(args: FullBatchArgs): void {
  const name = args.optimizer;
  if (!isFullBatchOptimizer(name)) {
    const given = (
      [
        ['max-iter', args.maxIter],
        ['max-evaluations', args.maxEvaluations],
        ['gtol', args.gtol],
        ['history', args.history],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (given)
      throw new UsageError(
        `--${given[0]} is for the full-batch optimizers, not --optimizer ${name} - help: add --optimizer cg, lbfgs or tnc, or leave --${given[0]} out`,
      );
    return;
  }
  if (args.history !== undefined && name !== 'lbfgs')
    throw new UsageError(`--history is for --optimizer lbfgs, not ${name} - help: leave --history out`);
  const minibatchOnly: [string, boolean, string][] = [
    ['epochs', args.epochs !== D.epochs, 'use --max-iter N for the iterations'],
    ['batch-size', args.batchSize !== undefined, `${name} uses the whole training set in every evaluation`],
    ['minibatches', args.minibatches !== undefined, `${name} uses the whole training set in every evaluation`],
    ['steps', args.steps !== undefined, 'use --max-iter or --max-evaluations'],
    ['lr', args.lr !== D.learningRate, `${name} finds each step length by a line search`],
    ['momentum', args.momentum !== D.momentum, `${name} has no momentum`],
    ['nesterov', args.nesterov, `${name} has no momentum`],
    ['decay', args.decay !== D.decay, `${name} has no learning rate to decay`],
    ['decay-unit', args.decayUnit !== D.decayUnit, `${name} has no learning rate to decay`],
    ['schedule', args.schedule !== D.decayKind, `${name} has no learning rate to schedule`],
    ['warmup-steps', args.warmupSteps !== 0, `${name} has no learning rate to warm up`],
    ...(['beta1', 'beta2', 'eps', 'weightDecay', 'stepSize', 'gamma'] as const).map(
      (key): [string, boolean, string] => [
        key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
        args[key] !== undefined,
        `it is a setting of ${key === 'stepSize' || key === 'gamma' ? '--schedule step' : 'adam and adamw'}`,
      ],
    ),
  ];
  const wrong = minibatchOnly.find(([, given]) => given);
  if (wrong)
    throw new UsageError(
      `--${wrong[0]} is for the minibatch optimizers (sgd, adam, adamw), not --optimizer ${name} - help: leave it out; ${wrong[2]}`,
    );
}
