/**
 * Local SGD / DiLoCo options (architecture §10): how many inner steps a round takes (`syncEvery`,
 * H), over how many virtual replicas (R), and the outer optimizer. H = 1 without replicas is the
 * synchronous step (no local rounds at all).
 */
import { OUTER_DEFAULTS, OUTER_OPTIMIZER_NAMES, type OuterOptimizerName } from '@gradswarm/core';

export interface LocalSgdOptions {
  /** H: inner steps per round [1]. */
  syncEvery?: number;
  /** R: virtual replicas, independent of the number of sources (as virtual shards are). */
  replicas?: number;
  /** `nesterov` (DiLoCo, the default) or `sgd`. */
  outerOptimizer?: OuterOptimizerName;
  /** η of the outer step [nesterov 0.7, sgd 1]. */
  outerLearningRate?: number;
  /** μ of the outer step [nesterov 0.9, sgd 0]. */
  outerMomentum?: number;
}

export interface ResolvedLocalSgd {
  readonly syncEvery: number;
  readonly replicas: number;
  readonly outerOptimizer: OuterOptimizerName;
  readonly outerLearningRate: number;
  readonly outerMomentum: number;
}

/** Most replicas a round may have (one gradient buffer each on the coordinator). */
export const MAX_REPLICAS = 256;
/** Most inner steps per round. */
export const MAX_SYNC_EVERY = 65536;

/**
 * Validates the local-SGD options; undefined when they ask for the synchronous step (nothing set,
 * or H = 1 with no replicas and no outer option).
 * @param innerOptimizer the run's optimizer: local rounds take momentum SGD's inner steps
 * @throws TypeError / RangeError naming the option and what it takes
 */
export function resolveLocalSgd(
  options: LocalSgdOptions | undefined,
  innerOptimizer: string,
): ResolvedLocalSgd | undefined {
  if (options === undefined) return undefined;
  const { syncEvery, replicas, outerOptimizer, outerLearningRate, outerMomentum } = options;
  const integerIn = (name: string, v: number | undefined, max: number): void => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      throw new RangeError(`options.${name} must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  };
  integerIn('syncEvery', syncEvery, MAX_SYNC_EVERY);
  integerIn('replicas', replicas, MAX_REPLICAS);
  if (outerOptimizer !== undefined && !OUTER_OPTIMIZER_NAMES.includes(outerOptimizer))
    throw new RangeError(
      `options.outerOptimizer must be one of ${OUTER_OPTIMIZER_NAMES.join(', ')}, got ${JSON.stringify(outerOptimizer)}`,
    );
  if (outerLearningRate !== undefined && !(Number.isFinite(outerLearningRate) && outerLearningRate > 0))
    throw new RangeError(`options.outerLearningRate must be a finite number > 0, got ${outerLearningRate}`);
  if (outerMomentum !== undefined && !(outerMomentum >= 0 && outerMomentum < 1))
    throw new RangeError(`options.outerMomentum must be in [0, 1), got ${outerMomentum}`);
  const anyOuter = outerOptimizer !== undefined || outerLearningRate !== undefined || outerMomentum !== undefined;
  if ((syncEvery ?? 1) === 1 && replicas === undefined) {
    if (anyOuter)
      throw new RangeError(
        'the outer optimizer options are for local SGD - help: add options.syncEvery H (> 1) or options.replicas R',
      );
    return undefined;
  }
  if (replicas === undefined)
    throw new RangeError('local SGD needs options.replicas R (the virtual replicas) - help: e.g. options.replicas 4');
  if (innerOptimizer !== 'sgd')
    throw new RangeError(
      `local SGD's inner steps are momentum SGD, not ${innerOptimizer} - help: leave options.optimizer out (sgd)`,
    );
  const name = outerOptimizer ?? 'nesterov';
  return Object.freeze({
    syncEvery: syncEvery ?? 1,
    replicas,
    outerOptimizer: name,
    outerLearningRate: outerLearningRate ?? OUTER_DEFAULTS[name].learningRate,
    outerMomentum: outerMomentum ?? OUTER_DEFAULTS[name].momentum,
  });
}
