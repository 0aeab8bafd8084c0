/**
 * The local SGD / DiLoCo flags of `train`, `coordinator` and `launch` (architecture §10), and
 * their mapping onto the trainer's `localSgd` options.
 */
import type { Options } from 'yargs';

export const localSgdFlags = {
  'sync-every': {
    type: 'number',
    default: 1,
    describe:
      'H: inner steps per local-SGD round before the replicas are averaged (1: the synchronous step); needs --replicas',
    group: 'Local SGD:',
  },
  replicas: {
    type: 'number',
    describe:
      'R virtual replicas, each taking H inner steps on its share of every minibatch (any number of workers up to R hosts them)',
    group: 'Local SGD:',
  },
  'outer-optimizer': {
    choices: ['nesterov', 'sgd'],
    describe: "the step on the replicas' mean change: nesterov (DiLoCo) or sgd [nesterov]",
    group: 'Local SGD:',
  },
  'outer-lr': {
    type: 'number',
    describe: 'η of the outer step [nesterov 0.7, sgd 1]',
    group: 'Local SGD:',
  },
  'outer-momentum': {
    type: 'number',
    describe: 'μ of the outer step in [0, 1) [nesterov 0.9, sgd 0]',
    group: 'Local SGD:',
  },
} as const satisfies Record<string, Options>;

export interface LocalSgdArgs {
  syncEvery?: number;
  replicas?: number;
  outerOptimizer?: string;
  outerLr?: number;
  outerMomentum?: number;
}

/**
 * The trainer's `localSgd` options from the flags (the trainer checks the values); undefined when
 * none is given beyond the default H = 1.
 */
export function localSgdOptionsOf(args: LocalSgdArgs) {
  const given =
    (args.syncEvery !== undefined && args.syncEvery !== 1) ||
    args.replicas !== undefined ||
    args.outerOptimizer !== undefined ||
    args.outerLr !== undefined ||
    args.outerMomentum !== undefined;
  if (!given) return undefined;
  return {
    syncEvery: args.syncEvery,
    replicas: args.replicas,
    outerOptimizer: args.outerOptimizer as 'nesterov' | 'sgd' | undefined,
    outerLearningRate: args.outerLr,
    outerMomentum: args.outerMomentum,
  };
}
