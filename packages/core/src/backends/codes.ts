/**
 * The numbers the C kernels (native addon and WebAssembly build) use for activations and for
 * output/loss pairs: `enum gs_activation` and `enum gs_loss` in native/src/gs.h.
 */
import type { ElementwiseActivation } from '../activations.js';
import type { LossName, OutputActivation } from '../types.js';

/** The C side's number of each element-wise activation. */
export const ACTIVATION_CODE: Readonly<Record<ElementwiseActivation, number>> = {
  identity: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  swish: 4,
};

/** The code of an output/loss pair (losses.ts VALID_OUTPUT_LOSS), or -1 for a pair the C side lacks. */
export function lossCode(output: OutputActivation, loss: LossName): number {
  if (output === 'sigmoid') return loss === 'bce' ? 0 : loss === 'mse' ? 3 : -1;
  if (output === 'softmax') return loss === 'ce' ? 1 : -1;
  return loss === 'mse' ? 2 : -1;
}
