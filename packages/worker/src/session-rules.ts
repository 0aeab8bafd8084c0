/**
 * How a worker client's session ends and the timing rules its retry loop follows (remote-client.ts).
 */
import type { ConnectFailure } from './connect-errors.js';

export interface SessionOutcome {
  readonly kind: 'finished' | 'refused' | 'dropped' | 'stopped';
  readonly message: string;
  readonly welcomed: boolean;
  /**
   * The session did work worth retrying for: it served a step, or it was welcomed and lived
   * three heartbeat intervals without an error of this worker's own (an idle wait for others).
   */
  readonly productive?: boolean;
  /** This worker's own check ended it (not the link, not the coordinator's close). */
  readonly ownError?: boolean;
  /**
   * The link broke (no refusal from the coordinator, no error of this worker's) after this worker
   * answered the run's planned last step (`step.final`): the run ended well, only its `leave` was lost.
   */
  readonly afterFinal?: boolean;
  /** A probe that can say more about a failed connection (connect-errors.ts). */
  readonly probe?: ConnectFailure['probe'];
}

/** Heartbeat intervals of silence after which the coordinator is taken as gone (the coordinator's own rule for workers). */
export const SILENT_HEARTBEATS = 3;
/** Silence allowed before the welcome says the heartbeat interval. */
export const PRE_WELCOME_SILENCE_MS = 30_000;
/** How often the silence deadline is checked. */
export const SILENCE_CHECK_MS = 250;
/**
 * Sessions in a row that may end by this worker's own error before it stops: the same welcome,
 * chunk or step would fail the same way (a worker once re-downloaded a data set 38 times in 20 s).
 */
export const MAX_FAILED_SESSIONS = 3;
/** TCP keepalive idle time on the connection to the coordinator. */
export const TCP_KEEPALIVE_MS = 10_000;
