/**
 * Reconnect delays of a tab that lost its coordinator: exponential from `initialMs` up to
 * `maxMs`, with jitter so that many tabs cut by one coordinator restart do not all knock at
 * once, and a deadline after which the tab stops trying.
 */

export interface BackoffOptions {
  /** First delay [500]. */
  readonly initialMs?: number;
  /** Largest delay [10 000]. */
  readonly maxMs?: number;
  /** Give up when nothing good happened for this long [600 000: ten minutes, as `gradswarm worker`]. */
  readonly giveUpAfterMs?: number;
  /** Fraction of each delay drawn at random, 0 to 1 [0.2]: the delay is in [(1 - j)·d, d]. */
  readonly jitter?: number;
  /** A number in [0, 1) [Math.random]. */
  readonly random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly giveUpAfterMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private delayMs: number;
  private sinceMs: number;

  /**
   * @param nowMs the clock's reading now (the deadline counts from it)
   * @throws RangeError for a delay that is not positive, maxMs below initialMs, or jitter outside [0, 1]
   */
  constructor(options: BackoffOptions = {}, nowMs = Date.now()) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 10_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 600_000;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs))
      throw new RangeError(
        `backoff needs 0 < initialMs <= maxMs, got initialMs ${this.initialMs} and maxMs ${this.maxMs}`,
      );
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new RangeError(`jitter must be in [0, 1], got ${this.jitter}`);
    this.delayMs = this.initialMs;
    this.sinceMs = nowMs;
  }

  /** Something good happened (welcomed and served): the next delay is the first one again. */
  reset(nowMs = Date.now()): void {
    this.delayMs = this.initialMs;
    this.sinceMs = nowMs;
  }

  /**
   * The wait before the next try, or null when the deadline has passed (stop trying). Each call
   * doubles the next delay, up to maxMs; the wait never runs past the deadline.
   */
  next(nowMs = Date.now()): number | null {
    const leftMs = this.giveUpAfterMs - (nowMs - this.sinceMs);
    if (leftMs <= 0) return null;
    const base = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.maxMs);
    const wait = base * (1 - this.jitter * this.random());
    return Math.min(Math.round(wait), leftMs);
  }
}
