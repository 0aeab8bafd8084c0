/**
 * A step's reduction and update cut into slices of the parameters, so several threads can share
 * it (issue 11 item 5): each slice sums its range of the shard gradients in shard order,
 * regularises and scales it (finishGradient) and applies the optimizer step (applyStepPlan).
 * Every element's arithmetic is the one a whole step does, so the bits are the same for any
 * slicing. The one sum over all parameters, the regularisation penalty, is not sliced: the
 * caller takes it whole, in finishGradient's order, before the slices run (penaltySums), which
 * also lets it refuse a non-finite J before any weight changes.
 */
import { finishGradientRows, rowAbsolutes, rowSquares, weightRows } from './cost.js';
import { sumGradients } from './gradient-sum.js';
import type { KernelBackend } from './kernel-backend.js';
import type { FloatArray } from './types.js';
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
  /** The optimizer step applied after finishing; null: none in this job. */
  readonly plan: OptimizerStepPlan | null;
  /** The optimizer's state buffers (whole; the slice's range is updated). */
  readonly buffers: Readonly<Record<string, Float32Array>>;
}

/** Receives a slice's penalty sums, which nobody reads. */
const unused = new Float64Array(2);

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
    // so it is given the slice's range with the rows rebased onto it. Its penalty sums are
    // not needed: the caller took them whole, before any slice ran (penaltySums).
    const local = weightRows(job.layers).slice(2 * slice.rowFrom, 2 * slice.rowTo);
    for (let i = 0; i < local.length; i++) local[i] -= slice.from;
    const w = params.subarray(slice.from, slice.to);
    finishGradientRows(local, w, total.subarray(slice.from, slice.to), job.l1, job.l2, job.scale, unused, backend);
  }
  if (job.plan) applyStepPlan(job.plan, job.buffers, params, total, slice.from, slice.to, backend);
}

/**
 * Σw² and Σ|w| over the non-bias weights, in finishGradient's order (row by row from 0, each row
 * as rowSquares and rowAbsolutes take it; Σ|w| only with l1), so J computed from them before
 * the slices run is finishGradient's J; zeros without a penalty.
 */
export function penaltySums(layers: readonly number[], params: FloatArray, l1: number, l2: number): [number, number] {
  if (l1 === 0 && l2 === 0) return [0, 0];
  const rows = weightRows(layers);
  let sq = 0;
  let abs = 0;
  for (let q = 0; q < rows.length; q += 2) {
    sq += rowSquares(params, rows[q], rows[q + 1]);
    if (l1 !== 0) abs += rowAbsolutes(params, rows[q], rows[q + 1]);
  }
  return [sq, abs];
}
