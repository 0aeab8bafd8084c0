/**
 * A step's reduction and update cut into slices of the parameters, so several threads can share
 * it (issue 11 item 5): each slice sums its range of the shard gradients in shard order,
 * regularises and scales it (finishGradient) and applies the optimizer step (applyStepPlan).
 * Every element's arithmetic is the one a whole step does, so the bits are the same for any
 * slicing. The one sum over all parameters, the regularisation penalty, is kept exact by
 * slicing on weight-row boundaries, recording each row's Σw² and Σ|w|, and adding the rows in
 * order afterwards, as finishGradient adds them.
 */
import { finishGradientRows, weightRows } from './cost.js';
import { sumGradients } from './gradient-sum.js';
import type { KernelBackend } from './kernel-backend.js';
import { applyStepPlan, type OptimizerStepPlan } from './optimizers/step-plan.js';

/** A slice: parameters [from, to), which are exactly the weight rows [rowFrom, rowTo). */
export interface StepSlice {
  readonly from: number;
  readonly to: number;
  readonly rowFrom: number;
  readonly rowTo: number;
}

/**
 * `count` slices covering every parameter, cut at the weight-row boundaries nearest to equal
 * parts (a row is its bias plus its weights); slices may be empty when rows are few.
 * @throws RangeError if count is not a positive integer
 */
export function stepSlices(layers: readonly number[], count: number): StepSlice[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const rows = weightRows(layers);
  const rowCount = rows.length / 2;
  const total = rowCount === 0 ? 0 : rows[rows.length - 1];
  const slices: StepSlice[] = [];
  let row = 0;
  for (let k = 0; k < count; k++) {
    const rowFrom = row;
    const target = (total * (k + 1)) / count;
    while (row < rowCount && (k === count - 1 || rows[2 * row + 1] <= target)) row++;
    const from = rowFrom < rowCount ? rows[2 * rowFrom] - 1 : total;
    const to = row < rowCount ? rows[2 * row] - 1 : total;
    slices.push({ from, to, rowFrom, rowTo: row });
  }
  return slices;
}

/** One thread's share of a step's reduction and update. */
export interface StepSliceJob {
  readonly slice: StepSlice;
  readonly layers: readonly number[];
  /** Shard gradients summed into `total` first, in shard order (one may be `total`); null: already summed. */
  readonly parts: readonly Float32Array[] | null;
  readonly total: Float32Array;
  readonly params: Float32Array;
  /** Regularise and scale the slice of `total` (finishGradient's work). */
  readonly finish: boolean;
  readonly l1: number;
  readonly l2: number;
  readonly scale: number;
  /** Σw² and Σ|w| of row q at [2q] and [2q + 1], written for the slice's rows when regularised. */
  readonly rowSums: Float64Array;
  /** The optimizer step applied after finishing; null: none in this job. */
  readonly plan: OptimizerStepPlan | null;
  /** The optimizer's state buffers (whole; the slice's range is updated). */
  readonly buffers: Readonly<Record<string, Float32Array>>;
}

const rowPair = new Float64Array(2);
/** One row rebased to start at 0: its bias at 0, its weights [1, length). */
const oneRow = Int32Array.of(1, 1);

/** Runs a job on this thread: sum, finish, step over its slice, in that order. */
export function runStepSlice(job: StepSliceJob, backend: KernelBackend | null = null): void {
  const { slice, total, params } = job;
  if (slice.to <= slice.from) return;
  if (job.parts !== null) {
    const out = total.subarray(slice.from, slice.to);
    const parts = job.parts.map((p) =>
      p.buffer === total.buffer && p.byteOffset === total.byteOffset ? out : p.subarray(slice.from, slice.to),
    );
    sumGradients(parts, out, backend);
  }
  if (job.finish) {
    // finishGradientRows takes rows that tile its arrays from 0 (the native kernel checks),
    // so it is given the slice's (or the row's) range with the rows rebased onto it.
    const rows = weightRows(job.layers);
    if (job.l1 === 0 && job.l2 === 0) {
      // No penalty: one call over the slice's rows.
      const local = rows.slice(2 * slice.rowFrom, 2 * slice.rowTo);
      for (let i = 0; i < local.length; i++) local[i] -= slice.from;
      const w = params.subarray(slice.from, slice.to);
      finishGradientRows(local, w, total.subarray(slice.from, slice.to), 0, 0, job.scale, rowPair, backend);
    } else {
      for (let q = slice.rowFrom; q < slice.rowTo; q++) {
        const from = rows[2 * q] - 1;
        const to = rows[2 * q + 1];
        oneRow[1] = to - from;
        const w = params.subarray(from, to);
        finishGradientRows(oneRow, w, total.subarray(from, to), job.l1, job.l2, job.scale, rowPair, backend);
        job.rowSums[2 * q] = rowPair[0];
        job.rowSums[2 * q + 1] = rowPair[1];
      }
    }
  }
  if (job.plan) applyStepPlan(job.plan, job.buffers, params, total, slice.from, slice.to, backend);
}

/**
 * Σw² and Σ|w| from per-row sums, added row by row from 0 as finishGradient adds them; zeros
 * when there is no penalty (the rows were not recorded).
 */
export function penaltyFromRowSums(rowSums: Float64Array, l1: number, l2: number): [number, number] {
  if (l1 === 0 && l2 === 0) return [0, 0];
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rowSums.length; q += 2) {
    sq += rowSums[q];
    abs += rowSums[q + 1];
  }
  return [sq, abs];
}
