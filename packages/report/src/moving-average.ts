/**
 * Trailing moving average of a cost series: point i is the mean of the finite values among
 * the last `window` ones up to i (fewer at the start), so the curve starts at the first point
 * and lags the raw costs by about window/2 steps, as TensorBoard's smoothing does.
 */

/** Window used when the caller gives none: about 1/50 of the run, at least 5 and at most 500 steps. */
export function defaultWindow(count: number): number {
  return Math.max(5, Math.min(500, Math.round(count / 50)));
}

/**
 * The trailing moving average of `values` over `window` points; NaN where no finite value is in the window.
 * @throws RangeError if window is not a positive integer
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const out = new Array<number>(values.length);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) (sum += values[i]), n++;
    const leaving = i - window;
    if (leaving >= 0 && Number.isFinite(values[leaving])) (sum -= values[leaving]), n--;
    out[i] = n > 0 ? sum / n : NaN;
  }
  return out;
}
