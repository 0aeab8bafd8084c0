/**
 * Non-negative least squares for the handful of unknowns the cost model fits (at most 3):
 * every subset of the columns is solved by ordinary least squares (normal equations on columns
 * scaled to unit max, Gaussian elimination with partial pivoting), and the best fit whose
 * coefficients are all ≥ 0 wins. 2³ small solves are exact and cheaper than an active-set
 * method's bookkeeping; a subset whose columns are collinear is singular and skipped, so
 * measurements that cannot tell two costs apart give one of them 0 rather than noise.
 */

export interface LeastSquaresFit {
  /** One coefficient per column, ≥ 0; 0 for a column the best subset left out. */
  readonly coefficients: number[];
  /** Σ (y − Xb)². */
  readonly residual: number;
}

/** Most columns: 2^k subsets are tried. */
const MAX_COLUMNS = 8;

/**
 * min Σ wᵢ²(yᵢ − xᵢb)² subject to b ≥ 0.
 * @param rows X, one row per observation, every row the same length
 * @param y observations
 * @param weights wᵢ per observation [1]; 1/yᵢ fits relative errors, so observations spanning
 *   orders of magnitude count alike
 * @returns the coefficients and the weighted residual
 * @throws RangeError for mismatched sizes or more than 8 columns
 */
export function nonNegativeLeastSquares(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  weights?: readonly number[],
): LeastSquaresFit {
  if (weights !== undefined) {
    if (weights.length !== y.length) throw new RangeError('weights and y must have matching sizes');
    return nonNegativeLeastSquares(
      rows.map((r, i) => r.map((x) => x * weights[i])),
      y.map((v, i) => v * weights[i]),
    );
  }
  const k = rows[0]?.length ?? 0;
  if (rows.length !== y.length || rows.some((r) => r.length !== k))
    throw new RangeError('rows and y must have matching sizes');
  if (k > MAX_COLUMNS) throw new RangeError(`at most ${MAX_COLUMNS} columns, got ${k}`);
  let best: LeastSquaresFit = {
    coefficients: new Array<number>(k).fill(0),
    residual: y.reduce((a, v) => a + v * v, 0),
  };
  for (let mask = 1; mask < 1 << k; mask++) {
    const cols = Array.from({ length: k }, (_, j) => j).filter((j) => mask & (1 << j));
    const b = solveSubset(rows, y, cols);
    if (!b || b.some((v) => v < 0)) continue;
    const coefficients = new Array<number>(k).fill(0);
    cols.forEach((j, i) => (coefficients[j] = b[i]));
    const residual = rows.reduce((a, r, i) => a + (y[i] - r.reduce((s, x, j) => s + x * coefficients[j], 0)) ** 2, 0);
    if (residual < best.residual * (1 - 1e-12)) best = { coefficients, residual };
  }
  return best;
}

/** Ordinary least squares on the given columns, or null if they are (nearly) collinear. */
function solveSubset(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  cols: readonly number[],
): number[] | null {
  const n = cols.length;
  // Scale each column to max |x| = 1 so bytes (~1e8) and counts (~1) meet in one matrix.
  const scale = cols.map((j) => Math.max(...rows.map((r) => Math.abs(r[j]))) || 1);
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < rows.length; i++) {
    const x = cols.map((j, c) => rows[i][j] / scale[c]);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) a[p][q] += x[p] * x[q];
      a[p][n] += x[p] * y[i];
    }
  }
  const trace = a.reduce((s, r, p) => s + r[p], 0);
  for (let p = 0; p < n; p++) {
    let pivot = p;
    for (let r = p + 1; r < n; r++) if (Math.abs(a[r][p]) > Math.abs(a[pivot][p])) pivot = r;
    // Relative to the matrix's size: collinear columns leave a pivot of rounding noise.
    if (!(Math.abs(a[pivot][p]) > 1e-6 * trace)) return null;
    [a[p], a[pivot]] = [a[pivot], a[p]];
    for (let r = 0; r < n; r++) {
      if (r === p) continue;
      const f = a[r][p] / a[p][p];
      for (let q = p; q <= n; q++) a[r][q] -= f * a[p][q];
    }
  }
  return a.map((r, p) => r[n] / r[p] / scale[p]);
}
