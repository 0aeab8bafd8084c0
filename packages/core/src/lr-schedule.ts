/**
 * Learning-rate schedules, with t the 0-based epoch (default) or the 0-based global step:
 *   inverse   η_t = η_0 / (1 + d·t) (the default)
 *   compound  η_t = η_0 / Π_{s=1..t} (1 + d·s): Raschka's NeuralNetMLP divides η by (1 + d·t)
 *             again every epoch; offered for reproducing the text's runs
 *   step      η_t = η_0 · γ^⌊t / stepSize⌋ (PyTorch's StepLR)
 *   cosine    η_t = η_0 · (1 + cos(π·t / T)) / 2 with T the run's epochs or steps (PyTorch's
 *             CosineAnnealingLR with η_min = 0)
 * A linear warm-up then scales η by (s + 1) / W for the first W global steps s, whatever the
 * unit. Without warm-up, inverse and compound compute exactly what they did before schedules
 * had a choice, so runs without the new options keep their bits.
 */
import type { DecayUnit } from './types.js';

export type DecayKind = 'inverse' | 'compound' | 'step' | 'cosine';

/** Every schedule name, for option checks and --help. */
export const DECAY_KINDS: readonly DecayKind[] = Object.freeze(['inverse', 'compound', 'step', 'cosine']);

export interface LrScheduleOptions {
  readonly learningRate: number;
  /** d of inverse and compound. */
  readonly decay: number;
  readonly decayUnit: DecayUnit;
  readonly decayKind?: DecayKind;
  /** step: t units (epochs or steps) between two multiplications by gamma. */
  readonly stepSize?: number;
  /** step: the factor γ applied every stepSize units. */
  readonly gamma?: number;
  /** cosine: T, the run's length in t units (epochs, or epochs × minibatches per epoch). */
  readonly cosineUnits?: number;
  /** Global steps of linear warm-up [0: none]. */
  readonly warmupSteps?: number;
}

/** η of the schedule alone (no warm-up) at t. */
function scheduled(options: LrScheduleOptions, t: number): number {
  const { learningRate, decay } = options;
  switch (options.decayKind) {
    case 'compound': {
      // Raschka divides by (1 + d·epoch) at each epoch start.
      let eta = learningRate;
      for (let s = 1; s <= t; s++) eta /= 1 + decay * s;
      return eta;
    }
    case 'step': {
      const stepSize = options.stepSize ?? 1;
      return learningRate * (options.gamma ?? 0.1) ** Math.floor(t / stepSize);
    }
    case 'cosine': {
      const units = Math.max(1, options.cosineUnits ?? 1);
      return (learningRate * (1 + Math.cos((Math.PI * Math.min(t, units)) / units))) / 2;
    }
    default:
      return learningRate / (1 + decay * t);
  }
}

/**
 * η for a given epoch and global step.
 * @param epoch 0-based epoch
 * @param step 0-based global step (minibatch count since the start of training)
 */
export function learningRateAt(options: LrScheduleOptions, epoch: number, step: number): number {
  const eta = scheduled(options, options.decayUnit === 'epoch' ? epoch : step);
  const warmup = options.warmupSteps ?? 0;
  return warmup > 0 && step < warmup ? (eta * (step + 1)) / warmup : eta;
}
