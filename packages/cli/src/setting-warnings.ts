/**
 * Warnings for settings that run but cannot train well (issue 16 item 9): each is one
 * `warning: … - help: …` line printed before the first step. None refuses: a user may mean it.
 */

/** Fewest training samples before a split is worth warning about. */
export const FEW_TRAINING_SAMPLES = 10;

export interface SettingFacts {
  /** Samples in the training set (after any split). */
  readonly trainCount: number;
  /** --batch-size as given (undefined: the default). */
  readonly batchSize?: number;
  readonly minibatches?: number;
  /** --test-fraction, when it made the split (no --test). */
  readonly testFraction?: number;
  /** --threads as given, and this machine's cores. */
  readonly threads?: number;
  readonly cores: number;
  /** --dataset, --scale, and the training features (unscaled when scale is none). */
  readonly dataset: string;
  readonly scale: string;
  readonly features: Float32Array;
}

/**
 * The range of features when every one is a whole number ≥ 0 (raw pixel or count data), else
 * null. Stops at the first fraction or negative value.
 */
function wholeNumberRange(features: Float32Array): number | null {
  let max = 0;
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    if (v < 0 || !Number.isInteger(v)) return null;
    if (v > max) max = v;
  }
  return max;
}

/** Smallest top of a whole-number feature range that warns without --scale (the digits' 0..16). */
const RAW_RANGE_WARN_MAX = 16;

/** The warning lines for these settings (empty when none applies). */
export function settingWarnings(f: SettingFacts): string[] {
  const out: string[] = [];
  if (f.batchSize !== undefined && f.batchSize > f.trainCount) {
    out.push(
      `warning: --batch-size ${f.batchSize} is more than the ${f.trainCount} training samples: every step is the whole set, one step per epoch - help: use a --batch-size below ${f.trainCount}`,
    );
  }
  if (f.minibatches !== undefined && f.minibatches > f.trainCount) {
    out.push(
      `warning: --minibatches ${f.minibatches} is more than the ${f.trainCount} training samples: some minibatches are empty - help: use --minibatches ${f.trainCount} or fewer`,
    );
  }
  if (f.testFraction !== undefined && f.trainCount < FEW_TRAINING_SAMPLES) {
    out.push(
      `warning: --test-fraction ${f.testFraction} leaves ${f.trainCount} training sample${f.trainCount === 1 ? '' : 's'}: too few to learn from - help: use a smaller --test-fraction, or --test SPEC`,
    );
  }
  if (f.threads !== undefined && f.threads > f.cores) {
    out.push(
      `warning: --threads ${f.threads} is more than the ${f.cores} cores of this machine: threads share the cores, so the run is slower, not faster - help: use --threads ${f.cores} or fewer`,
    );
  }
  if (f.dataset.startsWith('csv:') && f.scale === 'none') {
    const max = wholeNumberRange(f.features);
    if (max !== null && max >= RAW_RANGE_WARN_MAX) {
      out.push(
        `warning: the features of ${f.dataset} are whole numbers from 0 to ${max}, unscaled: such inputs saturate the units and train poorly - help: add --scale minmax (or --scale standard)`,
      );
    }
  }
  return out;
}
