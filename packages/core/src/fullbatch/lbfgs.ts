/**
 * Limited-memory BFGS (Nocedal & Wright algorithm 7.4/7.5; scipy's L-BFGS-B without bounds):
 * the direction is −H·g from the last `history` pairs s = x_{k+1} − x_k, y = g_{k+1} − g_k by
 * the two-loop recursion, with H0 = (s·y / y·y)·I from the newest pair; α from the strong Wolfe
 * line search (c2 = 0.9), trying α = 1 first (1/‖g‖ on the first step, when H0 = I has no
 * scale). A pair with s·y ≤ ε·y·y would break positive definiteness and is skipped. It stops
 * when ‖g‖∞ ≤ gtol (scipy's pgtol) or when J falls by less than ftol relatively (scipy's
 * factr·eps); a failed line search clears the memory and retries once along −g, then stalls.
 */
import { strongWolfeSearch } from './line-search.js';
import {
  checkStart,
  CountedObjective,
  dot,
  normInf,
  type FullBatchMinimizer,
  type FullBatchOptions,
  type MinimizerStatus,
  type Objective,
} from './objective.js';

/** scipy's L-BFGS-B default ftol: factr 1e7 × machine ε. */
const FTOL = 1e7 * Number.EPSILON;

export class Lbfgs implements FullBatchMinimizer {
  readonly name = 'lbfgs';
  readonly x: Float64Array;
  readonly gradient: Float64Array;
  cost = Number.NaN;
  iterations = 0;
  stepLength = 0;
  status: MinimizerStatus = 'running';
  private readonly objective: CountedObjective;
  private readonly direction: Float64Array;
  private readonly out: { xNew: Float64Array; gradNew: Float64Array };
  /** Correction pairs, oldest first, and 1/(y·s) of each. */
  private readonly pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  private readonly alphas: Float64Array;

  /** @throws RangeError for a bad x0 or options (objective.ts's checkStart) */
  constructor(
    objective: Objective,
    x0: Float64Array,
    private readonly options: FullBatchOptions,
  ) {
    checkStart(x0, options);
    const n = x0.length;
    this.objective = new CountedObjective(objective);
    this.x = Float64Array.from(x0);
    this.gradient = new Float64Array(n);
    this.direction = new Float64Array(n);
    this.out = { xNew: new Float64Array(n), gradNew: new Float64Array(n) };
    this.alphas = new Float64Array(options.history);
  }

  get evaluations(): number {
    return this.objective.evaluations;
  }

  async start(): Promise<void> {
    this.cost = await this.objective.evaluate(this.x, this.gradient);
    if (!Number.isFinite(this.cost)) throw new RangeError(`the cost at the starting point is ${this.cost}`);
    if (normInf(this.gradient) <= this.options.gtol) this.status = 'converged';
  }

  /** direction = −H·g by the two-loop recursion. */
  private makeDirection(): void {
    const q = this.direction;
    const g = this.gradient;
    for (let i = 0; i < q.length; i++) q[i] = -g[i];
    const k = this.pairs.length;
    for (let j = k - 1; j >= 0; j--) {
      const { s, y, rho } = this.pairs[j];
      const a = rho * dot(s, q);
      this.alphas[j] = a;
      for (let i = 0; i < q.length; i++) q[i] -= a * y[i];
    }
    if (k > 0) {
      const { s, y } = this.pairs[k - 1];
      const gamma = dot(s, y) / dot(y, y);
      for (let i = 0; i < q.length; i++) q[i] *= gamma;
    }
    for (let j = 0; j < k; j++) {
      const { s, y, rho } = this.pairs[j];
      const b = rho * dot(y, q);
      const a = this.alphas[j];
      for (let i = 0; i < q.length; i++) q[i] += (a - b) * s[i];
    }
  }

  async iterate(): Promise<MinimizerStatus> {
    if (this.status !== 'running') return this.status;
    let found = await this.search();
    if (!found && this.pairs.length > 0) {
      this.pairs.length = 0;
      found = await this.search();
    }
    if (!found) {
      this.status = 'stalled';
      return this.status;
    }
    const { xNew, gradNew } = this.out;
    const n = this.x.length;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - this.x[i];
      y[i] = gradNew[i] - this.gradient[i];
    }
    const sy = dot(s, y);
    if (sy > Number.EPSILON * dot(y, y)) {
      if (this.pairs.length === this.options.history) this.pairs.shift();
      this.pairs.push({ s, y, rho: 1 / sy });
    }
    const fell = this.cost - found.cost;
    this.x.set(xNew);
    this.gradient.set(gradNew);
    this.stepLength = found.alpha;
    this.iterations++;
    const previous = this.cost;
    this.cost = found.cost;
    if (
      normInf(this.gradient) <= this.options.gtol ||
      fell <= FTOL * Math.max(Math.abs(previous), Math.abs(found.cost), 1)
    )
      this.status = 'converged';
    return this.status;
  }

  private search() {
    this.makeDirection();
    const initialStep = this.pairs.length > 0 ? 1 : Math.min(1, 1 / Math.sqrt(dot(this.gradient, this.gradient)));
    return strongWolfeSearch(this.objective, this.x, this.direction, this.cost, this.gradient, this.out, {
      c1: 1e-4,
      c2: 0.9,
      initialStep,
    });
  }
}
