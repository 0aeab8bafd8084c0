/**
 * What the full-batch optimizers (cg.ts, lbfgs.ts, tnc.ts) minimise: J and ∇J at a point, over
 * the whole training set. The trainer's objective computes both with every gradient source
 * (threads, remote workers) as one distributed step, so an evaluation is asynchronous and
 * costs a pass over the data; the optimizers count evaluations the way scipy reports them.
 */

/** The full-batch optimizers `--optimizer` offers next to the minibatch ones. */
export const FULL_BATCH_OPTIMIZER_NAMES = Object.freeze(['cg', 'lbfgs', 'tnc'] as const);
export type FullBatchOptimizerName = (typeof FULL_BATCH_OPTIMIZER_NAMES)[number];

export function isFullBatchOptimizer(name: unknown): name is FullBatchOptimizerName {
  return (FULL_BATCH_OPTIMIZER_NAMES as readonly unknown[]).includes(name);
}

/**
 * J(x), with ∇J(x) written into `grad`. A non-finite J is allowed (a line search's trial point
 * too far out); the optimizers treat it as +∞.
 */
export type Objective = (x: Float64Array, grad: Float64Array) => Promise<number>;

/**
 * Why a minimizer stopped, as scipy's warnflag: `converged` ‖∇J‖∞ ≤ gtol (or J stopped
 * falling, L-BFGS's ftol); `stalled` the line search found no acceptable step (scipy: "desired
 * error not necessarily achieved due to precision loss"); `running` not stopped.
 */
export type MinimizerStatus = 'running' | 'converged' | 'stalled';

/** Settings every full-batch optimizer takes (scipy's names in brackets). */
export interface FullBatchOptions {
  /** Stop when ‖∇J‖∞ ≤ gtol [gtol 1e-5]. */
  readonly gtol: number;
  /** lbfgs: correction pairs kept [maxcor 10]. */
  readonly history: number;
}

export const DEFAULT_FULL_BATCH_OPTIONS: FullBatchOptions = Object.freeze({ gtol: 1e-5, history: 10 });

/**
 * Everything a minimizer needs to continue exactly where it was between two iterations (a
 * checkpoint's full-batch section): its counters and flags as numbers, its vectors in float64.
 */
export interface FullBatchSnapshot {
  readonly name: FullBatchOptimizerName;
  readonly status: MinimizerStatus;
  readonly scalars: Readonly<Record<string, number>>;
  readonly vectors: Readonly<Record<string, Float64Array>>;
}

/** One full-batch optimizer's state: the point, J and ∇J there, and its counters. */
export interface FullBatchMinimizer {
  readonly name: FullBatchOptimizerName;
  /** The current point (the best accepted iterate). */
  readonly x: Float64Array;
  /** J at x. */
  readonly cost: number;
  /** ∇J at x. */
  readonly gradient: Float64Array;
  readonly iterations: number;
  /** Evaluations of J and ∇J so far (each is one of both, as scipy's fmin_cg counts them). */
  readonly evaluations: number;
  /** Step length α of the last iteration's line search (0 before the first). */
  readonly stepLength: number;
  readonly status: MinimizerStatus;
  /** Evaluates J and ∇J at the starting point; call once before iterate(). */
  start(): Promise<void>;
  /**
   * One iteration; resolves with the status after it.
   * @param evaluationLimit the run's limit on evaluations: tnc takes fewer Hessian-vector
   *   products to stay within it where it can (a line search still needs its trials)
   */
  iterate(evaluationLimit?: number): Promise<MinimizerStatus>;
  /** The state between iterations (copies), after start(). */
  snapshot(): FullBatchSnapshot;
  /**
   * Continues from a snapshot instead of start().
   * @throws RangeError for another method's snapshot, or a vector or number missing or of the wrong size
   */
  restore(snapshot: FullBatchSnapshot): void;
}

/** An accepted line-search step: its α and J at x + α·d (the point itself in the minimizer's `out`). */
export interface AcceptedStep {
  readonly alpha: number;
  readonly cost: number;
}

/**
 * What cg, lbfgs and tnc share: the point, J and ∇J there, the counted objective, the line
 * search's buffers, the start, and the stopping rules around each iteration; a subclass
 * only finds the next point (step) and keeps its own history (afterStart, beforeAccept).
 */
export abstract class MinimizerBase implements FullBatchMinimizer {
  abstract readonly name: FullBatchOptimizerName;
  readonly x: Float64Array;
  readonly gradient: Float64Array;
  cost = Number.NaN;
  iterations = 0;
  stepLength = 0;
  status: MinimizerStatus = 'running';
  protected readonly objective: CountedObjective;
  /** Where the line search's trial points go; the accepted one is there after step(). */
  protected readonly out: { readonly xNew: Float64Array; readonly gradNew: Float64Array };

  /** @throws RangeError for a bad x0 or options (checkStart) */
  constructor(
    objective: Objective,
    x0: Float64Array,
    protected readonly options: FullBatchOptions,
  ) {
    checkStart(x0, options);
    const n = x0.length;
    this.objective = new CountedObjective(objective);
    this.x = Float64Array.from(x0);
    this.gradient = new Float64Array(n);
    this.out = { xNew: new Float64Array(n), gradNew: new Float64Array(n) };
  }

  get evaluations(): number {
    return this.objective.evaluations;
  }

  async start(): Promise<void> {
    this.cost = await this.objective.evaluate(this.x, this.gradient);
    if (!Number.isFinite(this.cost)) throw new RangeError(`the cost at the starting point is ${this.cost}`);
    this.afterStart();
    if (normInf(this.gradient) <= this.options.gtol) this.status = 'converged';
  }

  async iterate(evaluationLimit = Number.POSITIVE_INFINITY): Promise<MinimizerStatus> {
    if (this.status !== 'running') return this.status;
    const found = await this.step(evaluationLimit);
    if (!found) {
      this.status = 'stalled';
      return this.status;
    }
    const previousCost = this.cost;
    this.beforeAccept(found);
    this.x.set(this.out.xNew);
    this.gradient.set(this.out.gradNew);
    this.cost = found.cost;
    this.stepLength = found.alpha;
    this.iterations++;
    if (normInf(this.gradient) <= this.options.gtol || this.stoppedFalling(previousCost, found.cost))
      this.status = 'converged';
    return this.status;
  }

  /** Searches for the next point into `out`; null when no acceptable step was found. */
  protected abstract step(evaluationLimit: number): Promise<AcceptedStep | null>;

  /** After the starting point's evaluation (x, J, ∇J set). */
  protected afterStart(): void {}

  /** Before x, J and ∇J move to the accepted point in `out` (the old ones still in place). */
  protected beforeAccept(_found: AcceptedStep): void {}

  /** A second convergence test besides ‖∇J‖∞ ≤ gtol, on J before and after the iteration. */
  protected stoppedFalling(_previousCost: number, _cost: number): boolean {
    return false;
  }

  snapshot(): FullBatchSnapshot {
    const scalars: Record<string, number> = {
      cost: this.cost,
      iterations: this.iterations,
      stepLength: this.stepLength,
      evaluations: this.evaluations,
    };
    const vectors: Record<string, Float64Array> = { x: this.x.slice(), gradient: this.gradient.slice() };
    this.saveState(scalars, vectors);
    return { name: this.name, status: this.status, scalars, vectors };
  }

  restore(snapshot: FullBatchSnapshot): void {
    if (snapshot.name !== this.name)
      throw new RangeError(`the saved full-batch state is of ${snapshot.name}, this run uses ${this.name}`);
    const read = new SnapshotReader(snapshot, this.x.length);
    read.into('x', this.x);
    read.into('gradient', this.gradient);
    this.cost = read.number('cost');
    this.iterations = read.number('iterations');
    this.stepLength = read.number('stepLength');
    this.objective.evaluations = read.number('evaluations');
    this.loadState(read);
    this.status = snapshot.status;
  }

  /** Adds the method's own state to a snapshot (copies). */
  protected saveState(_scalars: Record<string, number>, _vectors: Record<string, Float64Array>): void {}

  /** Reads the method's own state back from a snapshot. */
  protected loadState(_read: SnapshotReader): void {}
}

/** Reads a snapshot's entries, with a one-line error for a missing or wrong-sized one. */
export class SnapshotReader {
  constructor(
    readonly snapshot: FullBatchSnapshot,
    private readonly n: number,
  ) {}

  number(name: string): number {
    const v = this.snapshot.scalars[name];
    if (typeof v !== 'number') throw new RangeError(`the saved ${this.snapshot.name} state has no number "${name}"`);
    return v;
  }

  vector(name: string, length = this.n): Float64Array {
    const v = this.snapshot.vectors[name];
    if (!(v instanceof Float64Array) || v.length !== length)
      throw new RangeError(`the saved ${this.snapshot.name} state has no vector "${name}" of ${length} values`);
    return v;
  }

  into(name: string, target: Float64Array): void {
    target.set(this.vector(name, target.length));
  }
}

/** a·b, accumulated in float64. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** max |a_i| (scipy's vecnorm with ord=inf, its default gtol norm). */
export function normInf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Counts evaluations and maps a non-finite J to +∞, so comparisons in a line search hold. */
export class CountedObjective {
  evaluations = 0;
  constructor(private readonly f: Objective) {}

  async evaluate(x: Float64Array, grad: Float64Array): Promise<number> {
    this.evaluations++;
    const cost = await this.f(x, grad);
    return Number.isFinite(cost) ? cost : Number.POSITIVE_INFINITY;
  }
}

/**
 * Checks a starting point and the options.
 * @throws RangeError for an empty or non-finite x0, a gtol that is not a number ≥ 0, or a
 *   history that is not a positive integer
 */
export function checkStart(x0: Float64Array, options: FullBatchOptions): void {
  if (x0.length === 0) throw new RangeError('the starting point has no parameters');
  for (let i = 0; i < x0.length; i++) {
    if (!Number.isFinite(x0[i])) throw new RangeError(`the starting point's value ${i} is ${x0[i]}`);
  }
  if (!(Number.isFinite(options.gtol) && options.gtol >= 0))
    throw new RangeError(`gtol must be a finite number >= 0, got ${options.gtol}`);
  if (!(Number.isInteger(options.history) && options.history >= 1))
    throw new RangeError(`history must be a positive integer, got ${options.history}`);
}
