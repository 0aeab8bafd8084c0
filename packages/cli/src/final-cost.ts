/**
 * The cost a run ends with, as the summary, `--json` and the report name it: the mean of the
 * last epoch's minibatch costs (the figure every per-epoch line shows), not the last minibatch's
 * alone, which moves with whatever 50 samples it held (issue 16 item 8). An interrupted run's
 * is the mean of the steps its last epoch got through.
 */
export interface FinalCost {
  readonly cost: number;
  /** 1-based epoch whose mean `cost` is. */
  readonly epoch: number;
  /** False when the run stopped inside that epoch. */
  readonly complete: boolean;
  /** True when no epoch mean is known (a resumed run that took no step): `cost` is the last minibatch's. */
  readonly lastMinibatch?: boolean;
}

export class FinalCostTracker {
  private current = { epoch: -1, sum: 0, count: 0 };
  private completed: FinalCost | null = null;

  /** After each step. */
  step(epoch: number, cost: number): void {
    if (epoch !== this.current.epoch) this.current = { epoch, sum: 0, count: 0 };
    this.current.sum += cost;
    this.current.count++;
  }

  /** After each epoch, with the trainer's own mean. */
  epochEnd(epoch: number, meanCost: number): void {
    this.completed = { cost: meanCost, epoch: epoch + 1, complete: true };
    this.current = { epoch: -1, sum: 0, count: 0 };
  }

  /** The final cost; null before any step. */
  result(): FinalCost | null {
    const c = this.current;
    if (c.count > 0) return { cost: c.sum / c.count, epoch: c.epoch + 1, complete: false };
    return this.completed;
  }
}

/** "0.12345 (mean of epoch 12)", "0.12345 (mean of epoch 3, stopped inside it)". */
export function describeFinalCost(f: FinalCost): string {
  if (f.lastMinibatch) return `${f.cost.toFixed(5)} (last minibatch)`;
  return `${f.cost.toFixed(5)} (mean of epoch ${f.epoch}${f.complete ? '' : ', stopped inside it'})`;
}
