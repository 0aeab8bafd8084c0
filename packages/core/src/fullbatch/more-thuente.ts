/**
 * Moré and Thuente's line search (MINPACK-2's dcsrch, "Line search algorithms with guaranteed
 * sufficient decrease", ACM TOMS 20, 1994), which scipy's fmin_cg tries first
 * (line_search_wolfe1) before the search of line-search.ts. It keeps an interval of
 * uncertainty [stx, sty] and picks each trial from cubic and quadratic (secant) fits of the
 * end points (step()), on J − c1·α·slope0 while no trial has both decreased J enough and a
 * non-negative slope, so it usually accepts in one or two trials where bracketing by doubling
 * needs three. Every trial costs one evaluation of J and ∇J.
 */
import type { LineSearchBuffers, LineSearchResult } from './line-search.js';
import { dot, type CountedObjective } from './objective.js';

export interface MoreThuenteOptions {
  readonly c1: number;
  readonly c2: number;
  readonly initialStep: number;
  /** Relative width of the interval below which the search gives up [1e-14, scipy's xtol]. */
  readonly xtol?: number;
  readonly minStep?: number;
  readonly maxStep?: number;
  /** Trials before giving up [100, as scipy]. */
  readonly maxTrials?: number;
}

/** One end or trial point of the search: α, J (or the modified J) and the slope there. */
interface Point {
  at: number;
  f: number;
  slope: number;
}

/**
 * dcstep: the next trial from the interval's best end x, its other end y and the trial t
 * (whose f exceeds x's, or whose slope has the other sign, or neither); moves x and y.
 * @returns the next trial α and whether the minimum is now bracketed
 */
function step(x: Point, y: Point, t: Point, bracketed: boolean, lo: number, hi: number): [number, boolean] {
  const sign = t.slope * Math.sign(x.slope);
  const cubicTerms = (a: Point, b: Point, clampZero: boolean) => {
    const theta = (3 * (a.f - b.f)) / (b.at - a.at) + a.slope + b.slope;
    const s = Math.max(Math.abs(theta), Math.abs(a.slope), Math.abs(b.slope));
    const radicand = (theta / s) ** 2 - (a.slope / s) * (b.slope / s);
    return { theta, gamma: s * Math.sqrt(clampZero ? Math.max(0, radicand) : radicand) };
  };
  let next: number;
  if (t.f > x.f) {
    // Higher than the best: the minimum lies between; the cubic's minimiser, or halfway to the quadratic's.
    const { theta, gamma: g0 } = cubicTerms(x, t, false);
    const gamma = t.at < x.at ? -g0 : g0;
    const r = (gamma - x.slope + theta) / (gamma - x.slope + gamma + t.slope);
    const cubic = x.at + r * (t.at - x.at);
    const quadratic = x.at + (x.slope / ((x.f - t.f) / (t.at - x.at) + x.slope) / 2) * (t.at - x.at);
    next = Math.abs(cubic - x.at) < Math.abs(quadratic - x.at) ? cubic : cubic + (quadratic - cubic) / 2;
    bracketed = true;
  } else if (sign < 0) {
    // Lower, with the slope's sign changed: bracketed; the step farther from t of the cubic and the secant.
    const { theta, gamma: g0 } = cubicTerms(x, t, false);
    const gamma = t.at > x.at ? -g0 : g0;
    const r = (gamma - t.slope + theta) / (gamma - t.slope + gamma + x.slope);
    const cubic = t.at + r * (x.at - t.at);
    const secant = t.at + (t.slope / (t.slope - x.slope)) * (x.at - t.at);
    next = Math.abs(cubic - t.at) > Math.abs(secant - t.at) ? cubic : secant;
    bracketed = true;
  } else if (Math.abs(t.slope) < Math.abs(x.slope)) {
    // Lower, same sign, the slope shrinking: extrapolate, safeguarded.
    const { theta, gamma: g0 } = cubicTerms(x, t, true);
    const gamma = t.at > x.at ? -g0 : g0;
    const r = (gamma - t.slope + theta) / (gamma + (x.slope - t.slope) + gamma);
    const cubic = r < 0 && gamma !== 0 ? t.at + r * (x.at - t.at) : t.at > x.at ? hi : lo;
    const secant = t.at + (t.slope / (t.slope - x.slope)) * (x.at - t.at);
    if (bracketed) {
      next = Math.abs(cubic - t.at) < Math.abs(secant - t.at) ? cubic : secant;
      const limit = t.at + 0.66 * (y.at - t.at);
      next = t.at > x.at ? Math.min(limit, next) : Math.max(limit, next);
    } else {
      next = Math.abs(cubic - t.at) > Math.abs(secant - t.at) ? cubic : secant;
      next = Math.max(lo, Math.min(hi, next));
    }
  } else if (bracketed) {
    // Lower, same sign, the slope not shrinking: the cubic through t and y.
    const { theta, gamma: g0 } = cubicTerms(t, y, false);
    const gamma = t.at > y.at ? -g0 : g0;
    const r = (gamma - t.slope + theta) / (gamma - t.slope + gamma + y.slope);
    next = t.at + r * (y.at - t.at);
  } else next = t.at > x.at ? hi : lo;
  if (t.f > x.f) Object.assign(y, t);
  else {
    if (sign < 0) Object.assign(y, x);
    Object.assign(x, t);
  }
  return [next, bracketed];
}

/**
 * Searches along d from x (J = cost0, ∇J = grad0 there; ∇J·d must be < 0) for α with
 * J(x + αd) ≤ J(x) + c1·α·∇J·d and |∇J(x + αd)·d| ≤ c2·|∇J(x)·d|.
 * @returns α and J there (the point and its gradient in `out`), or null when the search ended
 *   without one (MINPACK's warnings: rounding errors, xtol, a bound, or the trials)
 */
export async function moreThuenteSearch(
  objective: CountedObjective,
  x: Float64Array,
  d: Float64Array,
  cost0: number,
  grad0: Float64Array,
  out: LineSearchBuffers,
  options: MoreThuenteOptions,
): Promise<LineSearchResult | null> {
  const { c1, c2 } = options;
  const xtol = options.xtol ?? 1e-14;
  const minStep = options.minStep ?? 1e-100;
  const maxStep = options.maxStep ?? 1e100;
  const maxTrials = options.maxTrials ?? 100;
  const slope0 = dot(grad0, d);
  if (!(slope0 < 0)) return null;
  const decrease = c1 * slope0;
  let alpha = Math.min(Math.max(options.initialStep, minStep), maxStep);
  let bracketed = false;
  let modified = true; // stage 1: no trial yet with enough decrease and a slope ≥ 0
  let width = maxStep - minStep;
  let widthBefore = 2 * width;
  const best: Point = { at: 0, f: cost0, slope: slope0 };
  const other: Point = { at: 0, f: cost0, slope: slope0 };
  let lo = 0;
  let hi = alpha + 4 * alpha;
  for (let trial = 0; trial < maxTrials; trial++) {
    for (let i = 0; i < x.length; i++) out.xNew[i] = x[i] + alpha * d[i];
    const f = await objective.evaluate(out.xNew, out.gradNew);
    const slope = dot(out.gradNew, d);
    const fTest = cost0 + alpha * decrease;
    if (modified && f <= fTest && slope >= 0) modified = false;
    if (f <= fTest && Math.abs(slope) <= -c2 * slope0) return { alpha, cost: f };
    const warned =
      (bracketed && (alpha <= lo || alpha >= hi)) ||
      (bracketed && hi - lo <= xtol * hi) ||
      (alpha === maxStep && f <= fTest && slope <= decrease) ||
      (alpha === minStep && (f > fTest || slope >= decrease));
    if (warned || !Number.isFinite(f)) return null;
    const t: Point = { at: alpha, f, slope };
    if (modified && f <= best.f && f > fTest) {
      // On ψ(α) = J − c1·α·slope0, whose minimiser has enough decrease.
      const shift = (p: Point, by: number) => {
        p.f -= by * p.at * decrease;
        p.slope -= by * decrease;
      };
      shift(best, 1);
      shift(other, 1);
      shift(t, 1);
      [alpha, bracketed] = step(best, other, t, bracketed, lo, hi);
      shift(best, -1);
      shift(other, -1);
    } else [alpha, bracketed] = step(best, other, t, bracketed, lo, hi);
    if (bracketed) {
      if (Math.abs(other.at - best.at) >= 0.66 * widthBefore) alpha = best.at + 0.5 * (other.at - best.at);
      widthBefore = width;
      width = Math.abs(other.at - best.at);
      lo = Math.min(best.at, other.at);
      hi = Math.max(best.at, other.at);
    } else {
      lo = alpha + 1.1 * (alpha - best.at);
      hi = alpha + 4 * (alpha - best.at);
    }
    alpha = Math.min(Math.max(alpha, minStep), maxStep);
    if (bracketed && (alpha <= lo || alpha >= hi || hi - lo <= xtol * hi)) alpha = best.at;
  }
  return null;
}
