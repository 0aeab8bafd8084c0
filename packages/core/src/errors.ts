/**
 * Domain errors. Every error gradswarm raises on purpose carries a stable string `code`
 * (listed in docs/errors.md) so callers and the CLI can branch on it without parsing text.
 */

/** Codes of errors raised on purpose. */
export const ErrorCode = {
  /** A data file is malformed: bad magic, truncated, wrong counts, bad CSV row. */
  DATA_FORMAT: 'GS_ERR_DATA_FORMAT',
  /** A file or directory could not be read or written. */
  DATA_IO: 'GS_ERR_DATA_IO',
  /** A data-set spec (`idx:DIR`, `csv:FILE`, …) is not understood. */
  DATA_SPEC: 'GS_ERR_DATA_SPEC',
  /** A model file is malformed or does not fit the data. */
  MODEL_FORMAT: 'GS_ERR_MODEL_FORMAT',
  /** A user-supplied option is invalid. */
  INVALID_OPTION: 'GS_ERR_INVALID_OPTION',
  /** Training produced a non-finite cost or weight. */
  NON_FINITE: 'GS_ERR_NON_FINITE',
  /** A kernel backend was requested that cannot be loaded. */
  BACKEND: 'GS_ERR_BACKEND',
  /** A pool thread threw while computing a gradient. */
  THREAD_FAILED: 'GS_ERR_THREAD_FAILED',
  /** A remote worker disconnected or left with shards in flight (recoverable: they are recomputed). */
  WORKER_LOST: 'GS_ERR_WORKER_LOST',
  /** A remote worker missed the step deadline (recoverable). */
  STEP_TIMEOUT: 'GS_ERR_STEP_TIMEOUT',
  /** A remote worker's result did not fit the request (recoverable; the worker is dropped). */
  WORKER_REJECTED: 'GS_ERR_WORKER_REJECTED',
  /**
   * A remote worker's shard result was far outside the run's recent range (or made a sum
   * overflow) and another source's recomputation disagreed with it (recoverable; the worker is
   * dropped with close code 4020 and its shards are recomputed).
   */
  RESULT_DISAGREES: 'GS_ERR_RESULT_DISAGREES',
  /** A worker's kernel backend differs from the coordinator's in reproducible mode. */
  BACKEND_MISMATCH: 'GS_ERR_BACKEND_MISMATCH',
  /** `gradswarm launch`: a worker's WORLD_SIZE differs from rank 0's (the worker is refused, close 1008). */
  WORLD_SIZE_MISMATCH: 'GS_ERR_WORLD_SIZE_MISMATCH',
  /** A checkpoint cannot be written, read, or does not belong to this run. */
  CHECKPOINT: 'GS_ERR_CHECKPOINT',
  /** A benchmark could not measure: a child process it started failed, or its output could not be read. */
  BENCH: 'GS_ERR_BENCH',
  /** The coordinator cannot listen: the port is taken, the address is not this machine's, no permission. */
  LISTEN: 'GS_ERR_LISTEN',
  /** TLS cannot be set up: a certificate or key that is not PEM, a key that does not match its certificate. */
  TLS: 'GS_ERR_TLS',
  /** An unauthenticated connection did not authenticate within the handshake deadline (close code 4008). */
  HANDSHAKE_TIMEOUT: 'GS_ERR_HANDSHAKE_TIMEOUT',
  /** A peer that did not read what was sent to it within the drain deadline (close code 4009). */
  NOT_READING: 'GS_ERR_PEER_NOT_READING',
  /** Too many unauthenticated connections, in total or from one address (HTTP 503 at the upgrade). */
  CONNECTION_LIMIT: 'GS_ERR_CONNECTION_LIMIT',
  /** An address banned for a while after too many failed authentications in a row (HTTP 429 at the upgrade). */
  AUTH_BANNED: 'GS_ERR_AUTH_BANNED',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error gradswarm raises on purpose. */
export class GradswarmError extends Error {
  readonly code: string;

  /**
   * @param code stable code from {@link ErrorCode} (or a subclass's table)
   * @param message one line saying what was wrong; may end with "- help: …"
   * @param options.cause the underlying error, if any
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GradswarmError';
    this.code = code;
  }
}

/** Raised by data readers; the message names the file and the problem. */
export class DataFormatError extends GradswarmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DATA_FORMAT, message, options);
    this.name = 'DataFormatError';
  }
}
