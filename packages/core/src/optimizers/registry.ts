/**
 * The one place that maps an optimizer's name to its implementation.
 */
import type { KernelBackend } from '../kernel-backend.js';
import { OPTIMIZER_NAMES, type Optimizer, type OptimizerOptions } from '../optimizer.js';
import { AdamOptimizer } from './adam.js';
import { SgdOptimizer } from './sgd.js';

/**
 * Builds the named optimizer for `size` parameters with zeroed state.
 * @param backend runs the optimizer's C step when it has one (same bits; null: TypeScript)
 * @param allocate makes the state buffers [plain Float32Arrays]; shared memory lets a pool's
 *   threads step slices of them
 * @throws RangeError for an unknown name or a value out of range
 */
export function createOptimizer(
  size: number,
  options: OptimizerOptions,
  backend: KernelBackend | null = null,
  allocate?: (length: number) => Float32Array,
): Optimizer {
  switch (options.name) {
    case 'sgd':
      return new SgdOptimizer(size, options, backend, allocate);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(size, options.name, options, backend, allocate);
    default:
      throw new RangeError(
        `options.optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(options.name)}`,
      );
  }
}
