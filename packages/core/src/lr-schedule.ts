/**
 * Learning-rate decay η_t = η_0 / (1 + d·t), with t the 0-based epoch (default) or the 0-based
 * global step. Raschka's NeuralNetMLP instead divides η by (1 + d·t) again every epoch
 * (compounding); that variant is offered as `compound` for reproducing the text's runs.
 */
import type { DecayUnit } from './types.js';

export type DecayKind = 'inverse' | 'compound';

export interface LrScheduleOptions {
  readonly learningRate: number;
  readonly decay: number;
  readonly decayUnit: DecayUnit;
  readonly decayKind?: DecayKind;
}

/**
 * η for a given epoch and global step.
 * @param epoch 0-based epoch
 * @param step 0-based global step (minibatch count since the start of training)
 */
export function learningRateAt(options: LrScheduleOptions, epoch: number, step: number): number {
  const { learningRate, decay, decayUnit } = options;
  const t = decayUnit === 'epoch' ? epoch : step;
  if (options.decayKind === 'compound') {
    // η_t = η_0 / Π_{s=1..t} (1 + d·s): Raschka divides by (1 + d·epoch) at each epoch start.
    let eta = learningRate;
    for (let s = 1; s <= t; s++) eta /= 1 + decay * s;
    return eta;
  }
  return learningRate / (1 + decay * t);
}
