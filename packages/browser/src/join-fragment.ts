/**
 * What the join page reads from its own URL. The token travels in the fragment (`#token=…`),
 * which a browser never sends to the server, so it stays out of request lines, proxies' logs and
 * the Referer header; the query (`?threads=N`) holds only what may be seen.
 */

/** What the fragment of a join URL says. */
export interface JoinFragment {
  readonly token: string;
  /** `tls-fingerprint=…`: the certificate the tab expects (lowercase hex, no colons), if given. */
  readonly tlsFingerprint?: string;
}

/**
 * Parses `#token=…&tls-fingerprint=…` (the leading '#' optional; values URL-decoded).
 * @returns the fragment, or a one-line reason why it cannot be used
 */
export function parseJoinFragment(hash: string): JoinFragment | { readonly error: string } {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token') ?? '';
  if (token === '')
    return {
      error:
        'this join link has no token - help: open the link the coordinator printed ("join from a browser: …/join#token=…")',
    };
  const pin = params.get('tls-fingerprint');
  if (pin === null) return { token };
  const hex = pin.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    return { error: `tls-fingerprint in the join link must be 64 hex digits (a SHA-256), got ${JSON.stringify(pin)}` };
  return { token, tlsFingerprint: hex };
}

/** Most Web Workers a tab starts (the protocol's hello.threads is bounded too). */
export const MAX_TAB_THREADS = 64;

/**
 * How many Web Workers compute: `?threads=N` if given, else navigator.hardwareConcurrency.
 * @returns the count, or a one-line reason why `?threads` is wrong
 */
export function threadsFor(
  search: string,
  hardwareConcurrency: number | undefined,
): number | { readonly error: string } {
  const given = new URLSearchParams(search).get('threads');
  if (given === null) {
    const n = Number.isInteger(hardwareConcurrency) && hardwareConcurrency! >= 1 ? hardwareConcurrency! : 1;
    return Math.min(n, MAX_TAB_THREADS);
  }
  const n = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TAB_THREADS)
    return {
      error: `?threads must be an integer from 1 to ${MAX_TAB_THREADS}, got ${JSON.stringify(given)} - help: e.g. /join?threads=2#token=…`,
    };
  return n;
}
