/**
 * Truncated Newton (Nash's TN, the method of scipy's TNC without bounds, which the Spanish ex4
 * text trains with): each iteration solves H·p = −g approximately by linear conjugate gradient,
 * where every Hessian-vector product is a finite difference of gradients,
 *   H·v ≈ (∇J(x + h·v) − ∇J(x)) / h,  h = √ε_f32 · (1 + ‖x‖) / ‖v‖
 * (ε of float32: the gradient is computed in float32, so float64's √ε would drown in its noise).
 * The inner loop stops at a residual below η·‖g‖ with η = min(0.5, √‖g‖) (a forcing sequence,
 * for superlinear convergence near the minimum), at negative curvature (the direction so far,
 * or −g if there is none yet), or after `maxInner` products [max(1, min(50, n/2)) as scipy's
 * maxCGit]. α then comes from the strong Wolfe line search (c2 = 0.9, trying α = 1 first).
 * Unlike scipy's TNC there is no diagonal preconditioner. Each product costs one evaluation.
 */
import { strongWolfeSearch } from './line-search.js';
import { type AcceptedStep, dot, MinimizerBase, type FullBatchOptions, type Objective } from './objective.js';

const SQRT_EPS_F32 = Math.sqrt(2 ** -23);

export class TruncatedNewton extends MinimizerBase {
  readonly name = 'tnc';
  private readonly maxInner: number;
  private readonly p: Float64Array;
  private readonly r: Float64Array;
  private readonly v: Float64Array;
  private readonly hv: Float64Array;
  private readonly probe: Float64Array;

  /**
   * @param maxInner Hessian-vector products per iteration at most [max(1, min(50, n/2))]
   * @throws RangeError for a bad x0 or options (objective.ts's checkStart)
   */
  constructor(objective: Objective, x0: Float64Array, options: FullBatchOptions, maxInner?: number) {
    super(objective, x0, options);
    const n = x0.length;
    this.maxInner = maxInner ?? Math.max(1, Math.min(50, Math.floor(n / 2)));
    this.p = new Float64Array(n);
    this.r = new Float64Array(n);
    this.v = new Float64Array(n);
    this.hv = new Float64Array(n);
    this.probe = new Float64Array(n);
  }
  /** hv = H·v by a forward difference of gradients (probe: the gradient at x + h·v). */
  private async hessianTimes(v: Float64Array, xNorm: number): Promise<void> {
    const h = (SQRT_EPS_F32 * (1 + xNorm)) / Math.sqrt(dot(v, v));
    const at = this.out.xNew;
    for (let i = 0; i < at.length; i++) at[i] = this.x[i] + h * v[i];
    await this.objective.evaluate(at, this.probe);
    for (let i = 0; i < at.length; i++) this.hv[i] = (this.probe[i] - this.gradient[i]) / h;
  }

  /** p ≈ −H⁻¹·g by truncated linear CG (r = −g − H·p, v the CG direction). */
  private async newtonDirection(maxInner: number): Promise<void> {
    const { p, r, v, hv } = this;
    const g = this.gradient;
    const gNorm = Math.sqrt(dot(g, g));
    const xNorm = Math.sqrt(dot(this.x, this.x));
    const tolerance = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
    p.fill(0);
    for (let i = 0; i < g.length; i++) r[i] = -g[i];
    v.set(r);
    let rr = dot(r, r);
    if (maxInner < 1) p.set(r); // no products to spare: steepest descent
    for (let k = 0; k < maxInner; k++) {
      await this.hessianTimes(v, xNorm);
      const curvature = dot(v, hv);
      if (!(curvature > 0)) {
        if (k === 0) p.set(r); // no Newton information yet: steepest descent
        return;
      }
      const a = rr / curvature;
      for (let i = 0; i < p.length; i++) {
        p[i] += a * v[i];
        r[i] -= a * hv[i];
      }
      const rrNext = dot(r, r);
      if (Math.sqrt(rrNext) <= tolerance) return;
      const beta = rrNext / rr;
      rr = rrNext;
      for (let i = 0; i < v.length; i++) v[i] = r[i] + beta * v[i];
    }
  }

  protected async step(evaluationLimit: number): Promise<AcceptedStep | null> {
    // One evaluation kept for the line search's first trial.
    await this.newtonDirection(Math.min(this.maxInner, evaluationLimit - this.evaluations - 1));
    // A non-descent direction (noise in the products) falls back on −g.
    if (!(dot(this.p, this.gradient) < 0)) for (let i = 0; i < this.p.length; i++) this.p[i] = -this.gradient[i];
    const steepest = this.p.every((v, i) => v === -this.gradient[i]);
    const initialStep = steepest ? Math.min(1, 1 / Math.sqrt(dot(this.gradient, this.gradient))) : 1;
    return strongWolfeSearch(this.objective, this.x, this.p, this.cost, this.gradient, this.out, {
      c1: 1e-4,
      c2: 0.9,
      initialStep,
    });
  }
}
