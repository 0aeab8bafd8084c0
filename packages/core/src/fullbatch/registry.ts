/**
 * The full-batch optimizers: each minimises J over the whole training set with a line search
 * instead of a learning rate (issue 14 item 1); createMinimizer maps a name to one.
 */
import { ConjugateGradient } from './cg.js';
import { Lbfgs } from './lbfgs.js';
import type { FullBatchMinimizer, FullBatchOptimizerName, FullBatchOptions, Objective } from './objective.js';
import { TruncatedNewton } from './tnc.js';

/**
 * Builds the named minimizer at x0 (copied); call start() then iterate().
 * @throws RangeError for an unknown name, a bad x0 or options
 */
export function createMinimizer(
  name: FullBatchOptimizerName,
  objective: Objective,
  x0: Float64Array,
  options: FullBatchOptions,
): FullBatchMinimizer {
  switch (name) {
    case 'cg':
      return new ConjugateGradient(objective, x0, options);
    case 'lbfgs':
      return new Lbfgs(objective, x0, options);
    case 'tnc':
      return new TruncatedNewton(objective, x0, options);
    default:
      throw new RangeError(`unknown full-batch optimizer ${String(name)} - help: use cg, lbfgs or tnc`);
  }
}
