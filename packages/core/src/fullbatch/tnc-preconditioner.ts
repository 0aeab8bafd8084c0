/**
 * The preconditioner of Nash's truncated Newton (scipy's TNC), for tnc.ts's inner conjugate
 * gradient: M⁻¹ is a two-step limited-memory BFGS inverse built on a diagonal D (the estimate of
 * the Hessian's diagonal), from the last step s_k, y_k and the steps accumulated since the last
 * reset s_r, y_r. D starts at I and moves with every inner CG step by a diagonal BFGS update
 * (e ← e − r²/(v·r) + (Hv)²/(v·Hv)), so each outer iteration starts from the curvature the last
 * one saw. Without a pair yet (`first`) M⁻¹ is D⁻¹.
 */
import { dot } from './objective.js';

/** The pairs and flags the outer iteration keeps for the preconditioner. */
export interface PreconditionerPairs {
  /** No pair yet (after the start or a rescale of J): M⁻¹ = D⁻¹. */
  first: boolean;
  /** Only the last pair counts (the accumulated one was reset). */
  reset: boolean;
  readonly sk: Float64Array;
  readonly yk: Float64Array;
  readonly sr: Float64Array;
  readonly yr: Float64Array;
  yksk: number;
  yrsr: number;
}

/**
 * out = (H_j + BFGS update by the pair s, y)·v given H_j·v (hv) and H_j·y (hy), with
 * ys = y·s, yhy = y·H_j·y, vs = v·s, vhy = v·H_j·y (a pair with y·s = 0 leaves H_j·v).
 */
function bfgsTimes(
  s: Float64Array,
  hv: Float64Array,
  hy: Float64Array,
  ys: number,
  yhy: number,
  vs: number,
  vhy: number,
  out: Float64Array,
): void {
  const ofS = ys === 0 ? 0 : ((yhy / ys + 1) * vs) / ys - vhy / ys;
  const ofHy = ys === 0 ? 0 : -vs / ys;
  for (let i = 0; i < out.length; i++) out[i] = hv[i] + ofS * s[i] + ofHy * hy[i];
}

export class TncPreconditioner {
  private readonly hg: Float64Array;
  private readonly hyk: Float64Array;
  private readonly hyr: Float64Array;
  private readonly bs: Float64Array;

  /** @param diagonal D, updated in place by the inner iterations (starts at 1s) */
  constructor(readonly diagonal: Float64Array) {
    const n = diagonal.length;
    this.hg = new Float64Array(n);
    this.hyk = new Float64Array(n);
    this.hyr = new Float64Array(n);
    this.bs = new Float64Array(n);
  }

  /** out = M⁻¹·g. */
  solve(g: Float64Array, pairs: PreconditionerPairs, out: Float64Array): void {
    const d = this.diagonal;
    const { hg, hyk, hyr } = this;
    if (pairs.first) {
      for (let i = 0; i < g.length; i++) out[i] = g[i] / d[i];
      return;
    }
    const { sk, yk, sr, yr } = pairs;
    const gsk = dot(g, sk);
    for (let i = 0; i < g.length; i++) {
      hg[i] = g[i] / d[i];
      hyk[i] = yk[i] / d[i];
    }
    if (!pairs.reset) {
      for (let i = 0; i < g.length; i++) hyr[i] = yr[i] / d[i];
      bfgsTimes(sr, hg, hyr, pairs.yrsr, dot(yr, hyr), dot(g, sr), dot(g, hyr), hg);
      bfgsTimes(sr, hyk, hyr, pairs.yrsr, dot(yr, hyr), dot(yk, sr), dot(yk, hyr), hyk);
    }
    bfgsTimes(sk, hg, hyk, pairs.yksk, dot(hyk, yk), gsk, dot(hyk, g), out);
  }

  /**
   * The diagonal the inner iterations start from (into e): D moved by the BFGS updates of the
   * pairs, as a Hessian (not inverse) estimate.
   */
  start(pairs: PreconditionerPairs, e: Float64Array): void {
    const d = this.diagonal;
    if (pairs.first) {
      e.set(d);
      return;
    }
    const { sk, yk, sr, yr } = pairs;
    const bs = this.bs;
    const yksk = pairs.yksk === 0 ? 1 : pairs.yksk;
    if (pairs.reset) {
      for (let i = 0; i < d.length; i++) bs[i] = d[i] * sk[i];
      const sbs = dot(sk, bs) || 1;
      for (let i = 0; i < d.length; i++) e[i] = d[i] - (d[i] * d[i] * sk[i] * sk[i]) / sbs + (yk[i] * yk[i]) / yksk;
      return;
    }
    for (let i = 0; i < d.length; i++) bs[i] = d[i] * sr[i];
    const srbsr = dot(sr, bs) || 1;
    const skbsr = dot(sk, bs);
    const yrsk = dot(yr, sk);
    const yrsr = pairs.yrsr === 0 ? 1 : pairs.yrsr;
    for (let i = 0; i < d.length; i++) {
      bs[i] = d[i] * sk[i] - (bs[i] * skbsr) / srbsr + (yr[i] * yrsk) / yrsr;
      e[i] = d[i] - (d[i] * d[i] * sr[i] * sr[i]) / srbsr + (yr[i] * yr[i]) / yrsr;
    }
    const sbs = dot(sk, bs) || 1;
    for (let i = 0; i < d.length; i++) e[i] = e[i] - (bs[i] * bs[i]) / sbs + (yk[i] * yk[i]) / yksk;
  }

  /** One inner step's diagonal update of e (v the CG direction, hv = H·v, r the residual). */
  static update(e: Float64Array, v: Float64Array, hv: Float64Array, r: Float64Array): void {
    const vr = 1 / dot(v, r);
    const vhv = 1 / dot(v, hv);
    for (let i = 0; i < e.length; i++) {
      e[i] += -r[i] * r[i] * vr + hv[i] * hv[i] * vhv;
      if (e[i] <= 1e-6) e[i] = 1;
    }
  }
}
