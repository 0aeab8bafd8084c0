/**
 * Truncated Newton (Nash's TN, the method of scipy's TNC without bounds, which the Spanish ex4
 * text trains with): each iteration solves H·p = −g approximately by preconditioned linear
 * conjugate gradient, where every Hessian-vector product is a finite difference of gradients,
 *   H·v ≈ (∇J(x + h·v) − ∇J(x)) / h,  h = √ε_f32 · (1 + ‖x‖) / ‖v‖
 * (ε of float32: the gradient is computed in float32, so float64's √ε would drown in its noise).
 * As TNC it works on scaled variables x̃ = (x − x0) / (1 + |x0|) and a scaled J (×1/‖∇̃J‖ when
 * ‖∇̃J‖ is off 1 by more than 10^1.3), preconditions the inner CG with tnc-preconditioner.ts,
 * stops it when the quadratic model's decrease stalls (Nash's test (k+1)(1 − q_{k−1}/q_k) ≤ ½),
 * at negative curvature or after `maxInner` products [max(1, min(50, n/2)) as maxCGit], and
 * starts the line search at TNC's step min(1, 2|J|/|∇J·p|, 10/‖p̃‖). The line search is the
 * strong Wolfe one with TNC's η = 0.25 as c2 (TNC has Gill and Murray's, with the same tests).
 * It also stops when J falls by ≤ √ε64 or the scaled step is ≤ √ε64 (TNC's ftol and xtol).
 * Each product costs one evaluation.
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
import { type PreconditionerPairs, TncPreconditioner } from './tnc-preconditioner.js';

const SQRT_EPS_F32 = Math.sqrt(2 ** -23);
const SQRT_EPS = Math.sqrt(Number.EPSILON);
/** TNC's line search severity η (its curvature test), used as c2. */
const ETA = 0.25;
/** TNC's rescale: J is rescaled when |log10 ‖∇̃J‖| exceeds this. */
const RESCALE_LOG10 = 1.3;
/** TNC's tolerance on r·M⁻¹r and v·Hv relative to ‖g‖ below which the inner CG gives up. */
const INNER_TINY = 1e-12;

export class TruncatedNewton extends MinimizerBase {
  readonly name = 'tnc';
  private readonly maxInner: number;
  /** Variable scale 1 + |x0| and offset x0. */
  private readonly scale: Float64Array;
  private readonly offset: Float64Array;
  private costScale = 1;
  /** Scaled gradient g̃ = costScale · scale ⊙ ∇J, the direction p̃ (scaled) and p (for the line search). */
  private readonly g: Float64Array;
  private readonly pScaled: Float64Array;
  private readonly p: Float64Array;
  private readonly r: Float64Array;
  private readonly z: Float64Array;
  private readonly v: Float64Array;
  private readonly hv: Float64Array;
  private readonly e: Float64Array;
  private readonly probe: Float64Array;
  private readonly preconditioner: TncPreconditioner;
  private readonly pairs: PreconditionerPairs;
  private maxStepScaled = 10;
  private cycle: number;
  private reductionFraction = 0.05;
  private fallNew = 0;
  private costAtReset = 0;
  private firstStep = true;

  /**
   * @param maxInner Hessian-vector products per iteration at most [max(1, min(50, n/2))]
   * @throws RangeError for a bad x0 or options (objective.ts's checkStart)
   */
  constructor(objective: Objective, x0: Float64Array, options: FullBatchOptions, maxInner?: number) {
    super(objective, x0, options);
    const n = x0.length;
    this.maxInner = maxInner ?? Math.max(1, Math.min(50, Math.floor(n / 2)));
    this.scale = x0.map((v) => 1 + Math.abs(v));
    this.offset = Float64Array.from(x0);
    const vector = () => new Float64Array(n);
    [this.g, this.pScaled, this.p, this.r, this.z, this.v, this.hv, this.e, this.probe] = Array.from(
      { length: 9 },
      vector,
    );
    this.preconditioner = new TncPreconditioner(new Float64Array(n).fill(1));
    this.pairs = {
      first: true,
      reset: false,
      sk: vector(),
      yk: vector(),
      sr: vector(),
      yr: vector(),
      yksk: 0,
      yrsr: 0,
    };
    this.cycle = n - 1;
  }

  protected override afterStart(): void {
    this.costAtReset = this.cost;
  }

  private scaledGradient(): void {
    for (let i = 0; i < this.g.length; i++) this.g[i] = this.costScale * this.scale[i] * this.gradient[i];
  }

  /** hv = H̃·v by a forward difference of gradients. */
  private async hessianTimes(v: Float64Array, xNorm: number): Promise<void> {
    const h = (SQRT_EPS_F32 * (1 + xNorm)) / Math.sqrt(dot(v, v));
    const at = this.out.xNew;
    for (let i = 0; i < at.length; i++) at[i] = this.x[i] + h * this.scale[i] * v[i];
    await this.objective.evaluate(at, this.probe);
    const c = this.costScale / h;
    for (let i = 0; i < at.length; i++) this.hv[i] = c * this.scale[i] * (this.probe[i] - this.gradient[i]);
  }

  /** p̃ ≈ −H̃⁻¹·g̃ by truncated preconditioned CG (r = −g̃ − H̃·p̃, z = M⁻¹r, v the CG direction). */
  private async newtonDirection(maxInner: number): Promise<void> {
    const { pScaled: p, r, z, v, hv, e, g, pairs, preconditioner } = this;
    const gNorm = Math.sqrt(dot(g, g));
    let xNorm = 0;
    for (let i = 0; i < this.x.length; i++) xNorm += ((this.x[i] - this.offset[i]) / this.scale[i]) ** 2;
    xNorm = Math.sqrt(xNorm);
    preconditioner.start(pairs, e);
    p.fill(0);
    v.fill(0);
    for (let i = 0; i < g.length; i++) r[i] = -g[i];
    let qOld = 0;
    let rzOld = 0;
    const steepest = () => {
      for (let i = 0; i < g.length; i++) p[i] = -g[i];
    };
    if (maxInner < 1) steepest();
    for (let k = 0; k < maxInner; k++) {
      preconditioner.solve(r, pairs, z);
      const rz = dot(r, z);
      if (rz / gNorm < INNER_TINY) {
        if (k === 0) steepest();
        break;
      }
      const beta = k === 0 ? 0 : rz / rzOld;
      for (let i = 0; i < v.length; i++) v[i] = z[i] + beta * v[i];
      await this.hessianTimes(v, xNorm);
      const curvature = dot(v, hv);
      if (curvature / gNorm < INNER_TINY) {
        if (k === 0) {
          preconditioner.solve(g, pairs, p);
          for (let i = 0; i < p.length; i++) p[i] = -p[i];
        }
        break;
      }
      TncPreconditioner.update(e, v, hv, r);
      const a = rz / curvature;
      for (let i = 0; i < p.length; i++) {
        p[i] += a * v[i];
        r[i] -= a * hv[i];
      }
      const gp = dot(p, g);
      const q = (gp + dot(r, p)) / 2;
      if ((k + 1) * (1 - qOld / q) <= 0.5) break;
      if (gp > 0) {
        for (let i = 0; i < p.length; i++) p[i] -= a * v[i];
        break;
      }
      qOld = q;
      rzOld = rz;
    }
    preconditioner.diagonal.set(e);
  }

  protected async step(evaluationLimit: number): Promise<AcceptedStep | null> {
    const { g, pairs } = this;
    this.scaledGradient();
    const gNorm = Math.sqrt(dot(g, g));
    if (gNorm > Number.EPSILON && Math.abs(Math.log10(gNorm)) > RESCALE_LOG10) {
      // A J of another order than 1 is brought to ‖g̃‖ = 1 and the curvature memory starts over.
      const by = 1 / gNorm;
      this.costScale *= by;
      this.fallNew *= by;
      for (let i = 0; i < g.length; i++) g[i] *= by;
      this.preconditioner.diagonal.fill(1);
      pairs.first = true;
      this.cycle = this.x.length - 1;
      this.firstStep = true;
    }
    // One evaluation kept for the line search's first trial.
    await this.newtonDirection(Math.min(this.maxInner, evaluationLimit - this.evaluations - 1));
    if (!this.firstStep) {
      if (pairs.reset) {
        pairs.sr.set(pairs.sk);
        pairs.yr.set(pairs.yk);
        this.costAtReset = this.cost;
        this.cycle = 1;
      } else {
        for (let i = 0; i < g.length; i++) {
          pairs.sr[i] += pairs.sk[i];
          pairs.yr[i] += pairs.yk[i];
        }
        this.cycle++;
      }
    }
    const pScaled = this.pScaled;
    // A non-descent direction (noise in the products) falls back on −g̃.
    if (!(dot(pScaled, g) < 0)) for (let i = 0; i < g.length; i++) pScaled[i] = -g[i];
    for (let i = 0; i < g.length; i++) this.p[i] = this.scale[i] * pScaled[i];
    const slope = dot(this.p, this.gradient);
    const pNorm = Math.sqrt(dot(pScaled, pScaled));
    const maxStep = this.maxStepScaled / (pNorm + Number.EPSILON);
    const fall = Math.abs(this.cost);
    let initialStep = 2 * fall <= -slope && fall >= Number.EPSILON ? (-2 * fall) / slope : 1;
    initialStep = Math.min(initialStep, maxStep);
    const found = await strongWolfeSearch(this.objective, this.x, this.p, this.cost, this.gradient, this.out, {
      c1: 1e-4,
      c2: ETA,
      initialStep,
      maxStep,
    });
    if (found && found.alpha >= 0.9 * maxStep) this.maxStepScaled *= 100;
    return found;
  }

  protected override beforeAccept(found: AcceptedStep): void {
    const { pairs, g } = this;
    const fallOld = this.fallNew;
    this.fallNew = this.costScale * (this.cost - found.cost);
    if (this.cycle === 1) {
      if (this.fallNew > 2 * fallOld) this.reductionFraction *= 2;
      if (this.fallNew < 0.5 * fallOld) this.reductionFraction *= 0.5;
    }
    const gradNew = this.out.gradNew;
    for (let i = 0; i < g.length; i++) {
      pairs.yk[i] = this.costScale * this.scale[i] * gradNew[i] - g[i];
      pairs.sk[i] = found.alpha * this.pScaled[i];
    }
    pairs.yksk = dot(pairs.yk, pairs.sk);
    const sinceReset = this.costScale * (this.costAtReset - found.cost);
    if (this.cycle === this.x.length - 1 || this.fallNew < this.reductionFraction * sinceReset) pairs.reset = true;
    else {
      pairs.yrsr = dot(pairs.yr, pairs.sr);
      pairs.reset = pairs.yrsr <= 0;
    }
    pairs.first = false;
    this.firstStep = false;
  }

  protected override stoppedFalling(previousCost: number, cost: number): boolean {
    return (
      Math.abs(previousCost - cost) <= SQRT_EPS ||
      this.stepLength * Math.sqrt(dot(this.pScaled, this.pScaled)) <= SQRT_EPS
    );
  }

  /** The numbers kept between iterations, by name (flags as 0/1). */
  private numbers(): Record<string, number> {
    const { pairs } = this;
    return {
      costScale: this.costScale,
      maxStepScaled: this.maxStepScaled,
      cycle: this.cycle,
      reductionFraction: this.reductionFraction,
      fallNew: this.fallNew,
      costAtReset: this.costAtReset,
      firstStep: Number(this.firstStep),
      pairsFirst: Number(pairs.first),
      pairsReset: Number(pairs.reset),
      yksk: pairs.yksk,
      yrsr: pairs.yrsr,
    };
  }

  protected override saveState(scalars: Record<string, number>, vectors: Record<string, Float64Array>): void {
    Object.assign(scalars, this.numbers());
    const { sk, yk, sr, yr } = this.pairs;
    Object.assign(vectors, {
      sk: sk.slice(),
      yk: yk.slice(),
      sr: sr.slice(),
      yr: yr.slice(),
      diagonal: this.preconditioner.diagonal.slice(),
      scale: this.scale.slice(),
      offset: this.offset.slice(),
    });
  }

  protected override loadState(read: SnapshotReader): void {
    const v = Object.fromEntries(Object.keys(this.numbers()).map((k) => [k, read.number(k)]));
    this.costScale = v.costScale;
    this.maxStepScaled = v.maxStepScaled;
    this.cycle = v.cycle;
    this.reductionFraction = v.reductionFraction;
    this.fallNew = v.fallNew;
    this.costAtReset = v.costAtReset;
    this.firstStep = v.firstStep === 1;
    const { pairs } = this;
    pairs.first = v.pairsFirst === 1;
    pairs.reset = v.pairsReset === 1;
    pairs.yksk = v.yksk;
    pairs.yrsr = v.yrsr;
    for (const name of ['sk', 'yk', 'sr', 'yr'] as const) read.into(name, pairs[name]);
    read.into('diagonal', this.preconditioner.diagonal);
    read.into('scale', this.scale);
    read.into('offset', this.offset);
  }
}
