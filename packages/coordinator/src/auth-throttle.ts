/**
 * Failed authentications rate-limited per address (issue 17 item 5: 570 wrong tokens a second
 * from one client, with no delay or limit). Keyed like ConnectionLimits (an IPv4 address, an
 * IPv6 /64):
 *
 *   failed auth n (n < banAfter) ── its refusal is answered after min(base·2^(n-1), max) ms, logged
 *   failed auth banAfter         ── the address is banned for banMs, logged once: its upgrades get
 *                                   HTTP 429 (GS_ERR_AUTH_BANNED) and no WebSocket
 *   no failure for forgetMs, or a ban that ran out ── the address starts over
 *
 * The delayed refusal keeps that connection open and so counted against the per-address cap of
 * unauthenticated connections: one address cannot run more than that many guesses at once, and
 * each of them waits longer. Since the token key is scrypt (0.2 s a try offline too), this leaves
 * a guesser a few tries per ban period. A successful authentication does not clear the count:
 * an attacker sharing a NAT with a worker must not get a fresh budget from it.
 */

export interface AuthThrottleOptions {
  /** Delay of the first failed authentication's answer, in ms [250]. */
  readonly baseDelayMs?: number;
  /** Longest delay, in ms [8000] (below the 10 s handshake deadline). */
  readonly maxDelayMs?: number;
  /** Failures in a row from one address that ban it [10]. */
  readonly banAfter?: number;
  /** How long a ban lasts, in ms [600 000]. */
  readonly banMs?: number;
  /** Quiet time after which an address's failures are forgotten, in ms [600 000]. */
  readonly forgetMs?: number;
}

const DEFAULTS: Readonly<Required<AuthThrottleOptions>> = Object.freeze({
  baseDelayMs: 250,
  maxDelayMs: 8000,
  banAfter: 10,
  banMs: 600_000,
  forgetMs: 600_000,
});

/** Addresses remembered at most; the oldest entry is forgotten first (a spread-out flood cannot grow the table forever). */
const MAX_ADDRESSES = 65_536;

interface Entry {
  failures: number;
  lastMs: number;
  bannedUntilMs: number;
}

export class AuthThrottle {
  private readonly options: Readonly<Required<AuthThrottleOptions>>;
  private readonly entries = new Map<string, Entry>();

  /**
   * @param options delays and ban (each a positive integer)
   * @param log one line per failure and per ban
   * @param now the clock (tests)
   * @throws RangeError for an option that is not a positive integer
   */
  constructor(
    options: AuthThrottleOptions = {},
    private readonly log: (line: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
        throw new RangeError(`options.${name} must be a positive integer, got ${value}`);
    }
    this.options = Object.freeze({
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    });
  }

  /**
   * An authentication from `address` failed.
   * @returns ms to wait before answering it (the refusal is sent then)
   */
  failed(address: string): number {
    const o = this.options;
    const entry = this.current(address) ?? { failures: 0, lastMs: 0, bannedUntilMs: 0 };
    entry.failures++;
    entry.lastMs = this.now();
    this.entries.delete(address); // re-inserted last: the Map's order is oldest first
    this.entries.set(address, entry);
    if (this.entries.size > MAX_ADDRESSES) this.entries.delete(this.entries.keys().next().value!);
    const delayMs = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(30, entry.failures - 1));
    if (entry.failures >= o.banAfter) {
      entry.bannedUntilMs = entry.lastMs + o.banMs;
      if (entry.failures === o.banAfter)
        this.log(
          `banned ${address} for ${Math.round(o.banMs / 1000)} s after ${entry.failures} failed authentications in a row`,
        );
      return delayMs;
    }
    this.log(`failed authentication ${entry.failures} from ${address}: answered after ${delayMs} ms`);
    return delayMs;
  }

  /**
   * Whether `address` is banned now.
   * @returns the refusal text of its upgrade, or null
   */
  refusal(address: string): string | null {
    const entry = this.current(address);
    if (!entry || entry.bannedUntilMs <= this.now()) return null;
    const leftS = Math.ceil((entry.bannedUntilMs - this.now()) / 1000);
    return `${address} is banned for ${leftS} s more after ${entry.failures} failed authentications - help: check --token, then wait`;
  }

  /** Seconds until `address` may try again (Retry-After), 0 if it is not banned. */
  retryAfterSeconds(address: string): number {
    const entry = this.current(address);
    return entry && entry.bannedUntilMs > this.now() ? Math.ceil((entry.bannedUntilMs - this.now()) / 1000) : 0;
  }

  /** The address's entry, unless it has been forgotten (quiet for forgetMs, or its ban ran out). */
  private current(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (!entry) return undefined;
    const t = this.now();
    const banOver = entry.bannedUntilMs > 0 && entry.bannedUntilMs <= t;
    if (banOver || (entry.bannedUntilMs === 0 && t - entry.lastMs >= this.options.forgetMs)) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
