/**
 * Nonlinear conjugate gradient, Polak–Ribière with restarts (PR+: β = max(0, ·)), as scipy's
 * fmin_cg, which the ex4 text trains with (maxiter 50):
 *   d0 = −g0;  α_k from a strong Wolfe line search (c2 = 0.4) that also requires the next
 *   direction to descend, d_{k+1}·g_{k+1} ≤ −0.01·‖g_{k+1}‖²;
 *   β = max(0, (g_{k+1} − g_k)·g_{k+1} / g_k·g_k);  d_{k+1} = −g_{k+1} + β·d_k.
 * The first trial step is fmin_cg's: min(1, 1.01·2·(J_k − J_{k−1})/(g_k·d_k)), with J_{−1}
 * taken as J_0 + ‖g_0‖/2. As fmin_cg it tries Moré and Thuente's search (more-thuente.ts, MINPACK's
 * dcsrch) first and falls back on line-search.ts's. It stops when ‖g‖∞ ≤ gtol, or stalls when
 * the line search fails.
 */
import { strongWolfeSearch } from './line-search.js';
import { moreThuenteSearch } from './more-thuente.js';
import {
  type AcceptedStep,
  dot,
  type FullBatchOptions,
  MinimizerBase,
  normInf,
  type Objective,
  type SnapshotReader,
} from './objective.js';

/** fmin_cg's σ3: how much the next direction must descend for a step to be accepted. */
const DESCENT_SIGMA = 0.01;

export class ConjugateGradient extends MinimizerBase {
  readonly name = 'cg';
  private readonly direction: Float64Array;
  private readonly nextDirection: Float64Array;
  private previousCost = Number.NaN;

  /**
   * @param x0 the starting point (copied)
   * @throws RangeError for a bad x0 or options (objective.ts's checkStart)
   */
  constructor(objective: Objective, x0: Float64Array, options: FullBatchOptions) {
    super(objective, x0, options);
    this.direction = new Float64Array(x0.length);
    this.nextDirection = new Float64Array(x0.length);
  }

  protected override afterStart(): void {
    for (let i = 0; i < this.x.length; i++) this.direction[i] = -this.gradient[i];
    this.previousCost = this.cost + Math.sqrt(dot(this.gradient, this.gradient)) / 2;
  }

  protected async step(): Promise<AcceptedStep | null> {
    const g = this.gradient;
    const d = this.direction;
    const next = this.nextDirection;
    const gg = dot(g, g);
    const slope = dot(g, d);
    const guess = (1.01 * 2 * (this.cost - this.previousCost)) / slope;
    const initialStep = slope !== 0 && guess > 0 ? Math.min(1, guess) : 1;
    // The next direction is made inside the line search (it is the descent condition's subject) and kept.
    const descends = (_alpha: number, _cost: number, gNew: Float64Array): boolean => {
      let yg = 0;
      for (let i = 0; i < g.length; i++) yg += (gNew[i] - g[i]) * gNew[i];
      const beta = Math.max(0, yg / gg);
      for (let i = 0; i < g.length; i++) next[i] = -gNew[i] + beta * d[i];
      return normInf(gNew) <= this.options.gtol || dot(next, gNew) <= -DESCENT_SIGMA * dot(gNew, gNew);
    };
    // As fmin_cg: MINPACK's search first; if it fails or its point breaks the descent condition,
    // the search of line-search.ts from the same first step, with the condition built in.
    const settings = { c1: 1e-4, c2: 0.4, initialStep };
    const quick = await moreThuenteSearch(this.objective, this.x, d, this.cost, g, this.out, settings);
    if (quick && descends(quick.alpha, quick.cost, this.out.gradNew)) return quick;
    return strongWolfeSearch(this.objective, this.x, d, this.cost, g, this.out, {
      ...settings,
      extraCondition: descends,
    });
  }

  protected override beforeAccept(): void {
    this.previousCost = this.cost;
    this.direction.set(this.nextDirection);
  }

  protected override saveState(scalars: Record<string, number>, vectors: Record<string, Float64Array>): void {
    scalars.previousCost = this.previousCost;
    vectors.direction = this.direction.slice();
  }

  protected override loadState(read: SnapshotReader): void {
    this.previousCost = read.number('previousCost');
    read.into('direction', this.direction);
  }
}
