/**
 * A worker rank starts with rank 0, not after it: rank 0 binds its port before it loads the data
 * and serves workers only once the run is built (until then the port answers 404, which a worker
 * takes as "no endpoint here" and gives up on). So a launched worker first polls rank 0's
 * GET /status until it answers 200, and only then joins.
 */
import { UsageError } from '../errors.js';

/** Between two polls: short against a data load, long against a busy coordinator. */
const POLL_INTERVAL_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `http://host:port/status` answers 200.
 * @param giveUpAfterMs how long rank 0 may take to come up
 * @param stopped checked between polls (a signal ends the wait)
 * @returns false if `stopped()` became true first
 * @throws UsageError naming the address when rank 0 did not come up in time
 */
export async function waitForRankZero(
  statusUrl: string,
  giveUpAfterMs: number,
  stopped: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + giveUpAfterMs;
  let last = 'no answer yet';
  while (!stopped()) {
    try {
      const res = await fetch(statusUrl, { signal: AbortSignal.timeout(Math.max(1, POLL_INTERVAL_MS * 8)) });
      await res.body?.cancel();
      if (res.status === 200) return true;
      last = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      last = cause?.code ?? (err as Error).message;
    }
    if (Date.now() >= deadline)
      throw new UsageError(
        `rank 0 did not come up at ${statusUrl} within ${giveUpAfterMs} ms (last: ${last}) - help: check rank 0's log, the rendezvous host and port, and --give-up-after`,
      );
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}
