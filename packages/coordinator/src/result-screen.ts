/**
 * Screening of shard results (issue 16 item 18, issue 17 item 3): an authenticated worker can
 * send a finite but absurd result (a gradient ×1e30, a loss of 1e300) that protocol validation
 * accepts. This file holds the pure parts of the check, the scheduler's result-check.ts the rest:
 *   1. every shard result is summarised per sample (Σℓ / n and ‖Σ∇ℓ‖₂ / n, one pass over P);
 *   2. a result from an untrusted source is out of range when either figure is more than
 *      `factor` times above or below the median of a bounded window of recently accepted
 *      results together with this step's results (so the first step, with an empty window, is
 *      screened against its own shards, and a minority cannot move it);
 *   3. a sum that overflows (Σℓ not finite, or Σ‖∇‖ beyond float32) is traced to the shard
 *      with the largest share of it;
 *   4. such a shard is recomputed by another source and the two results compared: bit for bit
 *      when the recomputation repeats the sender's arithmetic (same backend, same split over
 *      threads; always so in reproducible mode), within `tolerance` otherwise.
 * Per-sample figures differ between honest shards of different sizes by about √n (the noise in
 * a gradient sum grows like √n, its signal like n), far inside the default factor of 1000; an
 * honest outlier costs one recomputation and is then accepted.
 */

/** Screening options (all optional; see DEFAULT_SCREEN_OPTIONS). */
export interface ScreenOptions {
  /** A result more than this many times above or below the reference is checked [1000]; Infinity: never. */
  readonly factor?: number;
  /** Accepted shard results remembered per figure [256]. */
  readonly windowSize?: number;
  /**
   * Largest relative difference two results may show and still agree when the recomputation
   * cannot repeat the sender's arithmetic (another kernel backend) [0.01]. Float32 sums of the
   * same terms in another order differ by about 1e-6 relative; a result far enough off to be
   * checked at all differs by 1 or more.
   */
  readonly tolerance?: number;
}

export type ResolvedScreenOptions = Required<ScreenOptions>;

export const DEFAULT_SCREEN_OPTIONS: ResolvedScreenOptions = Object.freeze({
  factor: 1000,
  windowSize: 256,
  tolerance: 0.01,
});

/** Largest finite float32: a gradient sum past it is Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Validates and fills screening options.
 * @throws RangeError for a factor not above 1, a window size that is not a positive integer, or a tolerance outside [0, 1)
 */
export function resolveScreenOptions(options: ScreenOptions = {}): ResolvedScreenOptions {
  const o = { ...DEFAULT_SCREEN_OPTIONS, ...options };
  if (!(o.factor > 1)) throw new RangeError(`options.factor must be above 1, got ${o.factor}`);
  if (!Number.isInteger(o.windowSize) || o.windowSize < 1)
    throw new RangeError(`options.windowSize must be a positive integer, got ${o.windowSize}`);
  if (!(o.tolerance >= 0 && o.tolerance < 1))
    throw new RangeError(`options.tolerance must be in [0, 1), got ${o.tolerance}`);
  return Object.freeze(o);
}

/** One shard result as the screen sees it. */
export interface ShardResult {
  readonly grad: Float32Array;
  readonly lossSum: number;
  readonly count: number;
}

/** A shard result per sample. */
export interface ShardSummary {
  readonly lossPerSample: number;
  readonly normPerSample: number;
  /** ‖Σ∇ℓ‖₂ of the whole shard (for the overflow bound). */
  readonly norm: number;
}

/**
 * ‖g‖₂ in one pass, accumulated in float64 (a float32 square of 1e30 would overflow; float64
 * holds the sum of squares of any P finite float32 values). Four accumulators break the chain
 * of dependent adds: about 4× faster than one (scripts/bench-screen.mjs), and the result is
 * still a fixed function of the gradient.
 */
export function gradientNorm(grad: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = grad.length;
  const end = n - (n % 4);
  for (let j = 0; j < end; j += 4) {
    const a = grad[j];
    const b = grad[j + 1];
    const c = grad[j + 2];
    const d = grad[j + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (let j = end; j < n; j++) s0 += grad[j] * grad[j];
  return Math.sqrt(s0 + s1 + (s2 + s3));
}

/** A shard result per sample (one pass over its gradient). */
export function summarize(result: ShardResult): ShardSummary {
  const norm = gradientNorm(result.grad);
  const n = Math.max(result.count, 1);
  return { lossPerSample: Math.abs(result.lossSum) / n, normPerSample: norm / n, norm };
}

/** A range's reference: the two middle values (equal for an odd count). */
export interface Middle {
  readonly lower: number;
  readonly upper: number;
}

/** The lower and upper medians (the two middle values; one for an odd count); NaN for no values. */
export function middleValues(values: readonly number[]): Middle {
  if (values.length === 0) return { lower: Number.NaN, upper: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  return { lower: sorted[(sorted.length - 1) >> 1], upper: sorted[sorted.length >> 1] };
}

/** A bounded window of the most recent values (a ring of `capacity`). */
export class RecentValues {
  private readonly ring: Float64Array;
  private next = 0;
  private size = 0;

  /** @throws RangeError if capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  values(): number[] {
    return Array.from(this.ring.subarray(0, this.size));
  }
}

/**
 * Why `value` is out of range, or null if it is within `factor` of the reference either way:
 * above `factor` × the lower median or below 1/`factor` of the upper one. With an even count
 * split far apart (two shards, one absurd) both halves are then out of range and both are
 * checked, rather than the lower median siding with whichever is smaller. A reference of 0 puts
 * every positive value out of range (and 0 within it).
 */
export function rangeVerdict(what: string, value: number, reference: Middle, factor: number): string | null {
  if (!Number.isFinite(factor)) return null;
  if (value > factor * reference.lower)
    return `${what} ${fmt(value)} is above ${factor}x the recent median ${fmt(reference.lower)}`;
  if (value * factor < reference.upper)
    return `${what} ${fmt(value)} is below 1/${factor} of the recent median ${fmt(reference.upper)}`;
  return null;
}

/**
 * The shard of `lossSums` / `summaries` (in shard order) that makes the step's sums overflow,
 * or -1 when they do not: Σℓ summed in shard order (as the reducer does) not finite, or
 * Σ‖∇‖₂ above the largest float32 (a bound on every element of the gradient sum, so below it
 * no element can overflow). The culprit is the shard with the largest |Σℓ| or ‖∇‖.
 */
export function overflowCulprit(lossSums: readonly number[], summaries: readonly ShardSummary[]): number {
  let loss = 0;
  let norms = 0;
  for (let i = 0; i < lossSums.length; i++) {
    loss += lossSums[i];
    norms += summaries[i].norm;
  }
  const largest = (of: (i: number) => number): number => {
    let best = 0;
    for (let i = 1; i < lossSums.length; i++) if (of(i) > of(best)) best = i;
    return best;
  };
  if (!Number.isFinite(loss)) return largest((i) => Math.abs(lossSums[i]));
  if (norms > FLOAT32_MAX) return largest((i) => summaries[i].norm);
  return -1;
}

/**
 * How two results of the same shard differ, or null if they agree. `tolerance` null: they must
 * be the same bits (gradient, loss sum and count); otherwise the count must be equal and the
 * loss sums and the gradients may differ by `tolerance` relative to the larger of the two
 * (‖a−b‖₂ ≤ tolerance·max(‖a‖₂, ‖b‖₂)).
 */
export function compareResults(a: ShardResult, b: ShardResult, tolerance: number | null): string | null {
  if (a.count !== b.count) return `count ${a.count} against ${b.count}`;
  if (a.grad.length !== b.grad.length) return `${a.grad.length} gradient values against ${b.grad.length}`;
  if (tolerance === null) {
    if (!Object.is(a.lossSum, b.lossSum)) return `loss sum ${a.lossSum} against ${b.lossSum}`;
    const x = new Uint32Array(a.grad.buffer, a.grad.byteOffset, a.grad.length);
    const y = new Uint32Array(b.grad.buffer, b.grad.byteOffset, b.grad.length);
    for (let j = 0; j < x.length; j++) {
      if (x[j] !== y[j]) return `gradient value ${j} is ${a.grad[j]} against ${b.grad[j]} (bit for bit required)`;
    }
    return null;
  }
  const lossScale = Math.max(Math.abs(a.lossSum), Math.abs(b.lossSum));
  if (Math.abs(a.lossSum - b.lossSum) > tolerance * lossScale)
    return `loss sum ${fmt(a.lossSum)} against ${fmt(b.lossSum)}`;
  let diff = 0;
  for (let j = 0; j < a.grad.length; j++) {
    const d = a.grad[j] - b.grad[j];
    diff += d * d;
  }
  const na = gradientNorm(a.grad);
  const nb = gradientNorm(b.grad);
  if (Math.sqrt(diff) > tolerance * Math.max(na, nb))
    return `gradient norm ${fmt(na)} against ${fmt(nb)}, difference ${fmt(Math.sqrt(diff))} (tolerance ${tolerance})`;
  return null;
}

/** What a step's results are screened against, per figure. */
export interface StepReferences {
  readonly loss: Middle;
  readonly norm: Middle;
}

/**
 * The run's memory of accepted results and the out-of-range verdict. The trainer keeps one for
 * the whole run; result-check.ts asks it about each step's results and feeds it what it accepted.
 */
export class ResultScreen {
  readonly options: ResolvedScreenOptions;
  private readonly losses: RecentValues;
  private readonly norms: RecentValues;

  /** @throws RangeError for bad options (resolveScreenOptions) */
  constructor(options: ScreenOptions = {}) {
    this.options = resolveScreenOptions(options);
    this.losses = new RecentValues(this.options.windowSize);
    this.norms = new RecentValues(this.options.windowSize);
  }

  /** The references of a step: the middle values of the window together with this step's summaries. */
  references(step: readonly ShardSummary[]): StepReferences {
    return {
      loss: middleValues([...this.losses.values(), ...step.map((s) => s.lossPerSample)]),
      norm: middleValues([...this.norms.values(), ...step.map((s) => s.normPerSample)]),
    };
  }

  /** Why a summary is out of range of the references, or null if it is not. */
  verdict(summary: ShardSummary, references: StepReferences): string | null {
    const f = this.options.factor;
    return (
      rangeVerdict('loss per sample', summary.lossPerSample, references.loss, f) ??
      rangeVerdict('gradient norm per sample', summary.normPerSample, references.norm, f)
    );
  }

  /** Remembers accepted results (the window keeps the newest `windowSize`). */
  accept(summaries: readonly ShardSummary[]): void {
    for (const s of summaries) {
      this.losses.push(s.lossPerSample);
      this.norms.push(s.normPerSample);
    }
  }

  /** Values in the window (for tests and /status). */
  get remembered(): number {
    return this.losses.length;
  }
}

function fmt(x: number): string {
  if (x === 0) return '0';
  return Number.isFinite(x) && Math.abs(x) < 1e6 && Math.abs(x) >= 1e-3
    ? String(Number(x.toPrecision(4)))
    : x.toExponential(3);
}
