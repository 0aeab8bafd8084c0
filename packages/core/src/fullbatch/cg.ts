/**
 * Nonlinear conjugate gradient, Polak–Ribière with restarts (PR+: β = max(0, ·)), as scipy's
 * fmin_cg, which the ex4 text trains with (maxiter 50):
 *   d0 = −g0;  α_k from a strong Wolfe line search (c2 = 0.4) that also requires the next
 *   direction to descend, d_{k+1}·g_{k+1} ≤ −0.01·‖g_{k+1}‖²;
 *   β = max(0, (g_{k+1} − g_k)·g_{k+1} / g_k·g_k);  d_{k+1} = −g_{k+1} + β·d_k.
 * The first trial step is fmin_cg's: min(1, 1.01·2·(J_k − J_{k−1})/(g_k·d_k)), with J_{−1}
 * taken as J_0 + ‖g_0‖/2. It stops when ‖g‖∞ ≤ gtol, or stalls when the line search fails.
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

/** fmin_cg's σ3: how much the next direction must descend for a step to be accepted. */
const DESCENT_SIGMA = 0.01;

export class ConjugateGradient implements FullBatchMinimizer {
  readonly name = 'cg';
  readonly x: Float64Array;
  readonly gradient: Float64Array;
  cost = Number.NaN;
  iterations = 0;
  stepLength = 0;
  status: MinimizerStatus = 'running';
  private readonly objective: CountedObjective;
  private readonly direction: Float64Array;
  private readonly nextDirection: Float64Array;
  private readonly out: { xNew: Float64Array; gradNew: Float64Array };
  private previousCost = Number.NaN;

  /**
   * @param x0 the starting point (copied)
   * @throws RangeError for a bad x0 or options (objective.ts's checkStart)
   */
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
    this.nextDirection = new Float64Array(n);
    this.out = { xNew: new Float64Array(n), gradNew: new Float64Array(n) };
  }

  get evaluations(): number {
    return this.objective.evaluations;
  }

  async start(): Promise<void> {
    this.cost = await this.objective.evaluate(this.x, this.gradient);
    if (!Number.isFinite(this.cost)) throw new RangeError(`the cost at the starting point is ${this.cost}`);
    for (let i = 0; i < this.x.length; i++) this.direction[i] = -this.gradient[i];
    this.previousCost = this.cost + Math.sqrt(dot(this.gradient, this.gradient)) / 2;
    if (normInf(this.gradient) <= this.options.gtol) this.status = 'converged';
  }

  async iterate(): Promise<MinimizerStatus> {
    if (this.status !== 'running') return this.status;
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
    const found = await strongWolfeSearch(this.objective, this.x, d, this.cost, g, this.out, {
      c1: 1e-4,
      c2: 0.4,
      initialStep,
      extraCondition: descends,
    });
    if (!found) {
      this.status = 'stalled';
      return this.status;
    }
    this.previousCost = this.cost;
    this.cost = found.cost;
    this.stepLength = found.alpha;
    this.x.set(this.out.xNew);
    g.set(this.out.gradNew);
    d.set(next);
    this.iterations++;
    if (normInf(g) <= this.options.gtol) this.status = 'converged';
    return this.status;
  }
}
