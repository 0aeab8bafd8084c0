/** The model spec from the model flags and the data's shape. */
import { DEFAULT_LOSS_FOR_OUTPUT, validateModelSpec, type LossName, type ModelSpec } from '@gradswarm/core';
import { UsageError } from './errors.js';
import { DEFAULT_HIDDEN } from './flags.js';
import { parseIntList, resolveLayers } from './parse.js';

/** Builds and checks the spec from --layers/--hidden/--output/--loss. @throws UsageError naming the flag */
export function modelSpecFromArgs(
  args: { layers?: string; hidden: string; output: string; loss?: string },
  inputSize: number,
  classCount: number,
): ModelSpec {
  const layers = resolveLayers(
    args.layers === undefined ? undefined : parseIntList('layers', args.layers),
    inputSize,
    classCount,
    DEFAULT_HIDDEN,
  );
  const output = args.output as ModelSpec['output'];
  const loss = (args.loss ?? DEFAULT_LOSS_FOR_OUTPUT[output]) as LossName;
  try {
    return validateModelSpec({ layers, hidden: args.hidden as ModelSpec['hidden'], output, loss });
  } catch (err) {
    const message = (err as Error).message.replace(/^spec\./, '--');
    const hint = /does not go with output/.test(message)
      ? ' - help: pair --output sigmoid with bce, softmax with ce, identity with mse'
      : '';
    throw new UsageError(`${message}${hint}`);
  }
}
