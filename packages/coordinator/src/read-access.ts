/**
 * Who may read the dashboard's stream and /metrics: a request that carries the run token or the
 * read-only dashboard token as `Authorization: Bearer <token>` (what Prometheus sends with
 * `authorization: { credentials: … }`, and what the dashboard page sends from its URL fragment).
 * Never a query parameter: URLs end up in logs and browser history. Tokens are compared as
 * SHA-256 digests with timingSafeEqual, so the comparison takes the same time for any guess.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-routes.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class ReadAccess {
  private readonly digests: readonly Buffer[];

  /**
   * @param tokens the tokens that give read access (the run token, and `--dashboard-token` if set)
   * @throws RangeError when no token is given or one is empty
   */
  constructor(tokens: readonly string[]) {
    if (tokens.length === 0 || tokens.some((t) => typeof t !== 'string' || t.length === 0))
      throw new RangeError('tokens must hold at least one non-empty token');
    this.digests = tokens.map(digest);
  }

  /** Whether the request carries one of the tokens. */
  allows(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!match) return false;
    const given = digest(match[1]);
    let ok = false;
    // Every token is compared, not just up to the first match: no timing tells which one it was.
    for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
    return ok;
  }

  /**
   * Answers 401 (no token) or 403 (a wrong one) and returns false, or returns true for a request
   * that may read.
   */
  check(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.allows(req)) return true;
    const given = req.headers.authorization !== undefined;
    sendJson(
      res,
      given ? 403 : 401,
      {
        error: given
          ? 'the token is wrong - help: use the run token or --dashboard-token'
          : 'a token is needed - help: send "Authorization: Bearer <run token or --dashboard-token>"',
      },
      given ? {} : { 'www-authenticate': 'Bearer realm="gradswarm"' },
    );
    return false;
  }
}
