/**
 * A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization,
 * algorithms 3.5 and 3.6; scipy's scalar_search_wolfe2, which fmin_cg falls back on): along a
 * descent direction d from x, find α with
 *   J(x + αd) ≤ J(x) + c1·α·∇J(x)·d          (sufficient decrease)
 *   |∇J(x + αd)·d| ≤ c2·|∇J(x)·d|             (curvature).
 * It brackets by doubling α, then zooms by cubic interpolation, falling back on quadratic and
 * bisection as scipy does. J and ∇J come from one evaluation, so every trial costs exactly one.
 */
import { dot, type CountedObjective } from './objective.js';

export interface LineSearchOptions {
  /** Sufficient-decrease constant c1 [1e-4]. */
  readonly c1: number;
  /** Curvature constant c2: 0.4 for cg (as fmin_cg), 0.9 for the quasi-Newton methods. */
  readonly c2: number;
  /** First trial step. */
  readonly initialStep: number;
  /** Largest step tried [1e100, scipy's amax in fmin_cg]. */
  readonly maxStep?: number;
  /** Trials in each phase (bracketing, zoom) before giving up [10, as scipy]. */
  readonly maxTrials?: number;
  /**
   * Also required of an accepted point besides the Wolfe conditions (fmin_cg's descent
   * condition on the next direction); gets α, J and ∇J there.
   */
  readonly extraCondition?: (alpha: number, cost: number, grad: Float64Array) => boolean;
}

export interface LineSearchResult {
  readonly alpha: number;
  readonly cost: number;
}

/** Where the trial points go: xNew and gradNew hold the accepted point when the search succeeds. */
export interface LineSearchBuffers {
  readonly xNew: Float64Array;
  readonly gradNew: Float64Array;
}

/** Minimiser of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc); null if none. */
export function cubicMinimizer(a: number, fa: number, fpa: number, b: number, fb: number, c: number, fc: number) {
  const C = fpa;
  const db = b - a;
  const dc = c - a;
  const denom = (db * dc) ** 2 * (db - dc);
  const r1 = fb - fa - C * db;
  const r2 = fc - fa - C * dc;
  const A = (dc * dc * r1 - db * db * r2) / denom;
  const B = (-(dc ** 3) * r1 + db ** 3 * r2) / denom;
  const radical = B * B - 3 * A * C;
  const x = a + (-B + Math.sqrt(radical)) / (3 * A);
  return Number.isFinite(x) ? x : null;
}

/** Minimiser of the parabola through (a, fa) with slope fpa and (b, fb); null if none. */
export function quadraticMinimizer(a: number, fa: number, fpa: number, b: number, fb: number): number | null {
  const db = b - a;
  const B = (fb - fa - fpa * db) / (db * db);
  const x = a - fpa / (2 * B);
  return Number.isFinite(x) ? x : null;
}

/**
 * Searches along d from x (J = cost0, ∇J = grad0 there; ∇J·d must be < 0).
 * @returns the accepted α and J there (x + αd and its gradient in `out`), or null when no
 *   acceptable point was found within the trials (`out` then holds the last trial)
 */
export async function strongWolfeSearch(
  objective: CountedObjective,
  x: Float64Array,
  d: Float64Array,
  cost0: number,
  grad0: Float64Array,
  out: LineSearchBuffers,
  options: LineSearchOptions,
): Promise<LineSearchResult | null> {
  const { c1, c2, extraCondition } = options;
  const maxStep = options.maxStep ?? 1e100;
  const maxTrials = options.maxTrials ?? 10;
  const slope0 = dot(grad0, d);
  if (!(slope0 < 0)) return null;
  const { xNew, gradNew } = out;
  const phi = async (alpha: number): Promise<number> => {
    for (let i = 0; i < x.length; i++) xNew[i] = x[i] + alpha * d[i];
    return objective.evaluate(xNew, gradNew);
  };
  const armijo = (alpha: number, f: number): boolean => f <= cost0 + c1 * alpha * slope0;
  const accept = (alpha: number, f: number, slope: number): boolean =>
    Math.abs(slope) <= -c2 * slope0 && (extraCondition?.(alpha, f, gradNew) ?? true);

  let alphaPrev = 0;
  let phiPrev = cost0;
  let slopePrev = slope0;
  let alpha = Math.min(options.initialStep, maxStep);
  let phiAlpha = await phi(alpha);
  for (let i = 0; i < maxTrials; i++) {
    if (alpha === 0 || alphaPrev > maxStep) return null;
    if (!armijo(alpha, phiAlpha) || (i > 0 && phiAlpha >= phiPrev))
      return zoom(alphaPrev, alpha, phiPrev, phiAlpha, slopePrev);
    const slope = dot(gradNew, d);
    if (accept(alpha, phiAlpha, slope)) return { alpha, cost: phiAlpha };
    if (slope >= 0) return zoom(alpha, alphaPrev, phiAlpha, phiPrev, slope);
    alphaPrev = alpha;
    phiPrev = phiAlpha;
    slopePrev = slope;
    alpha = Math.min(2 * alpha, maxStep);
    phiAlpha = await phi(alpha);
  }
  return null;

  async function zoom(lo: number, hi: number, phiLo: number, phiHi: number, slopeLo: number) {
    // (recent, phiRecent): the point dropped last, the cubic's third point.
    let recent = 0;
    let phiRecent = cost0;
    for (let j = 0; j <= maxTrials; j++) {
      const width = hi - lo;
      const [a, b] = width < 0 ? [hi, lo] : [lo, hi];
      let trial: number | null = null;
      if (j > 0) {
        const margin = 0.2 * Math.abs(width);
        trial = cubicMinimizer(lo, phiLo, slopeLo, hi, phiHi, recent, phiRecent);
        if (trial !== null && (trial > b - margin || trial < a + margin)) trial = null;
      }
      if (trial === null) {
        const margin = 0.1 * Math.abs(width);
        trial = quadraticMinimizer(lo, phiLo, slopeLo, hi, phiHi);
        if (trial === null || trial > b - margin || trial < a + margin) trial = lo + 0.5 * width;
      }
      const phiTrial = await phi(trial);
      if (!armijo(trial, phiTrial) || phiTrial >= phiLo) {
        recent = hi;
        phiRecent = phiHi;
        hi = trial;
        phiHi = phiTrial;
      } else {
        const slope = dot(gradNew, d);
        if (accept(trial, phiTrial, slope)) return { alpha: trial, cost: phiTrial };
        if (slope * (hi - lo) >= 0) {
          recent = hi;
          phiRecent = phiHi;
          hi = lo;
          phiHi = phiLo;
        } else {
          recent = lo;
          phiRecent = phiLo;
        }
        lo = trial;
        phiLo = phiTrial;
        slopeLo = slope;
      }
    }
    return null;
  }
}
