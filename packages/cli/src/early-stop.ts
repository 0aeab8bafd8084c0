/**
 * `--validation-fraction` and `--early-stop PATIENCE`: the validation cost after every epoch, the
 * best epoch so far (lowest cost, the earliest on a tie) with a copy of its weights, and whether
 * PATIENCE epochs in a row have passed without a lower cost (Keras' EarlyStopping with
 * restore_best_weights, min_delta 0).
 */

/** The best epoch seen: its 0-based index, validation cost and weights. */
export interface BestEpoch {
  readonly epoch: number;
  readonly cost: number;
  readonly params: Float32Array;
}

export class EarlyStopping {
  private bestSoFar: BestEpoch | null = null;
  private sinceBest = 0;

  /** @param patience epochs without improvement before stopping; undefined: never stop, only track */
  constructor(private readonly patience: number | undefined) {}

  /**
   * Records an epoch's validation cost (copying `params` when it is the best so far).
   * @returns true when the run should stop now
   */
  observe(epoch: number, cost: number, params: Float32Array): boolean {
    // NaN is never an improvement (a diverged run stops through the trainer's own check anyway).
    if (this.bestSoFar === null || cost < this.bestSoFar.cost) {
      this.bestSoFar = { epoch, cost, params: params.slice() };
      this.sinceBest = 0;
      return false;
    }
    this.sinceBest++;
    return this.patience !== undefined && this.sinceBest >= this.patience;
  }

  /** The best epoch so far, or null before the first. */
  get best(): BestEpoch | null {
    return this.bestSoFar;
  }
}
