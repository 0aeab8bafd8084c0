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
  type AcceptedStep,
  dot,
  type FullBatchOptions,
  MinimizerBase,
  type Objective,
  type SnapshotReader,
} from './objective.js';

/** scipy's L-BFGS-B default ftol: factr 1e7 × machine ε. */
const FTOL = 1e7 * Number.EPSILON;

export class Lbfgs extends MinimizerBase {
  readonly name = 'lbfgs';
  private readonly direction: Float64Array;
  /** Correction pairs, oldest first, and 1/(y·s) of each. */
  private readonly pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  private readonly alphas: Float64Array;

  /** @throws RangeError for a bad x0 or options (objective.ts's checkStart) */
  constructor(objective: Objective, x0: Float64Array, options: FullBatchOptions) {
    super(objective, x0, options);
    this.direction = new Float64Array(x0.length);
    this.alphas = new Float64Array(options.history);
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

  protected async step(): Promise<AcceptedStep | null> {
    const found = await this.search();
    if (found || this.pairs.length === 0) return found;
    this.pairs.length = 0;
    return this.search();
  }

  protected override beforeAccept(): void {
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
  }

  protected override stoppedFalling(previousCost: number, cost: number): boolean {
    return previousCost - cost <= FTOL * Math.max(Math.abs(previousCost), Math.abs(cost), 1);
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

  protected override saveState(scalars: Record<string, number>, vectors: Record<string, Float64Array>): void {
    scalars.pairs = this.pairs.length;
    this.pairs.forEach(({ s, y, rho }, j) => {
      vectors[`s${j}`] = s.slice();
      vectors[`y${j}`] = y.slice();
      scalars[`rho${j}`] = rho;
    });
  }

  protected override loadState(read: SnapshotReader): void {
    const count = read.number('pairs');
    if (!(Number.isInteger(count) && count >= 0 && count <= this.options.history))
      throw new RangeError(`the saved lbfgs state holds ${count} pairs, --history is ${this.options.history}`);
    this.pairs.length = 0;
    for (let j = 0; j < count; j++)
      this.pairs.push({
        s: read.vector(`s${j}`).slice(),
        y: read.vector(`y${j}`).slice(),
        rho: read.number(`rho${j}`),
      });
  }
}
