/**
 * Protocol errors. Each code has one WebSocket close code, so whoever catches a ProtocolError
 * closes that one connection with `err.closeCode` and `err.closeReason` and carries on
 * (architecture §5, STYLE §2.4). 1002, 1008 and 1009 are RFC 6455's; 4000–4999 are ours.
 */
import { GradswarmError } from '@gradswarm/core';
import { closeReason } from './close-reason.js';

/** Codes of protocol errors (docs/errors.md lists them with their close codes). */
export const ProtocolErrorCode = {
  /** Not msgpack, not a map, truncated, trailing bytes. */
  MALFORMED: 'GS_ERR_PROTOCOL_MALFORMED',
  /** `hello` names a protocol version other than ours. */
  VERSION: 'GS_ERR_PROTOCOL_VERSION',
  /** Valid msgpack, invalid message: unknown type, missing field, wrong type, length or range. */
  INVALID: 'GS_ERR_PROTOCOL_INVALID',
  /** A message larger than `maxPayloadBytes`. */
  TOO_BIG: 'GS_ERR_PROTOCOL_TOO_BIG',
  /** A MAC that does not verify: the peer does not hold the token. */
  AUTH: 'GS_ERR_AUTH',
  /** NaN or ±Infinity in a gradient, loss sum or weight. */
  NON_FINITE: 'GS_ERR_PROTOCOL_NON_FINITE',
  /** A result for a step or weights version that was not asked for. */
  STALE: 'GS_ERR_PROTOCOL_STALE',
  /** A message type not allowed in the connection's current state (a step before welcome). */
  UNEXPECTED: 'GS_ERR_PROTOCOL_UNEXPECTED',
  /** Reproducible mode: the worker's kernel backend is not the coordinator's (core's code). */
  BACKEND_MISMATCH: 'GS_ERR_BACKEND_MISMATCH',
  /** `gradswarm launch`: the worker's WORLD_SIZE is not the coordinator's (core's code). */
  WORLD_SIZE_MISMATCH: 'GS_ERR_WORLD_SIZE_MISMATCH',
  /** The worker missed the step deadline (core's code). */
  STEP_TIMEOUT: 'GS_ERR_STEP_TIMEOUT',
  /** The peer said nothing for 3 heartbeat intervals: the link is taken as lost (core's code). */
  SILENT: 'GS_ERR_WORKER_LOST',
  /** The coordinator dropped a ready worker for a reason of its own (core's code). */
  REJECTED: 'GS_ERR_WORKER_REJECTED',
  /** The connection did not authenticate within the coordinator's handshake deadline (core's code). */
  HANDSHAKE_TIMEOUT: 'GS_ERR_HANDSHAKE_TIMEOUT',
  /** A worker's result disagreed with its recomputation elsewhere (core's code). */
  RESULT_DISAGREES: 'GS_ERR_RESULT_DISAGREES',
  /** The peer did not read what was sent to it within the drain deadline, or let too much pile up (core's code). */
  NOT_READING: 'GS_ERR_PEER_NOT_READING',
} as const;

export type ProtocolErrorCodeValue = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** What a protocol error code means on the wire: its close code and one line of meaning. */
export interface ProtocolErrorInfo {
  readonly closeCode: number;
  readonly meaning: string;
}

/** Every protocol error code with its WebSocket close code; the source of docs/errors.md's rows. */
export const PROTOCOL_ERRORS: Readonly<Record<ProtocolErrorCodeValue, ProtocolErrorInfo>> = Object.freeze({
  GS_ERR_PROTOCOL_MALFORMED: {
    closeCode: 1002,
    meaning: 'not msgpack, not a msgpack map, truncated, or trailing bytes',
  },
  GS_ERR_PROTOCOL_VERSION: {
    closeCode: 4001,
    meaning: 'the peer speaks another protocol version; upgrade the older side',
  },
  GS_ERR_PROTOCOL_INVALID: {
    closeCode: 4002,
    meaning: 'valid msgpack, invalid message: unknown type, missing field, wrong type, length or range',
  },
  GS_ERR_PROTOCOL_TOO_BIG: { closeCode: 1009, meaning: 'message larger than maxPayloadBytes' },
  GS_ERR_AUTH: { closeCode: 1008, meaning: 'authentication failed: a MAC does not verify (the token is never named)' },
  GS_ERR_PROTOCOL_NON_FINITE: { closeCode: 4003, meaning: 'NaN or Infinity in a gradient, loss sum or weight' },
  GS_ERR_PROTOCOL_STALE: { closeCode: 4004, meaning: 'a result for a step or weights version that was not asked for' },
  GS_ERR_PROTOCOL_UNEXPECTED: {
    closeCode: 4005,
    meaning: 'a message type not allowed in the current state, e.g. a step before welcome',
  },
  GS_ERR_BACKEND_MISMATCH: { closeCode: 1008, meaning: 'reproducible mode: the worker uses another kernel backend' },
  GS_ERR_WORLD_SIZE_MISMATCH: { closeCode: 1008, meaning: "launch: the worker's world size is not the coordinator's" },
  GS_ERR_STEP_TIMEOUT: { closeCode: 4006, meaning: 'the worker missed the step deadline' },
  GS_ERR_WORKER_LOST: { closeCode: 4007, meaning: 'the peer sent nothing for three heartbeat intervals' },
  GS_ERR_WORKER_REJECTED: {
    closeCode: 4000,
    meaning: 'the coordinator dropped a ready worker for a reason of its own',
  },
  GS_ERR_HANDSHAKE_TIMEOUT: {
    closeCode: 4008,
    meaning: 'the connection did not authenticate within the handshake deadline',
  },
  GS_ERR_RESULT_DISAGREES: {
    closeCode: 4020,
    meaning: "a worker's result disagreed with its recomputation by another source",
  },
  GS_ERR_PEER_NOT_READING: {
    closeCode: 4009,
    meaning: 'the peer did not read what was sent to it within the drain deadline (send-queue.ts)',
  },
});

/** Close code of an ordinary end: the run finished, a worker left or was stopped. */
export const CLOSE_NORMAL = 1000;

/** Close code after the peer reported an `error` of its own (RFC 6455's internal error). */
export const CLOSE_PEER_ERROR = 1011;

/** A message that cannot be accepted; close the connection with `closeCode` and `closeReason`. */
export class ProtocolError extends GradswarmError {
  declare readonly code: ProtocolErrorCodeValue;
  /** WebSocket close code of this error's code (PROTOCOL_ERRORS). */
  readonly closeCode: number;

  /**
   * @param code a ProtocolErrorCode value
   * @param message one line naming the field and the problem; never a token
   * @param options.cause the underlying error (e.g. msgpackr's), if any
   * @throws TypeError if `code` is not a protocol error code
   */
  constructor(code: ProtocolErrorCodeValue, message: string, options?: { cause?: unknown }) {
    const info = PROTOCOL_ERRORS[code] as ProtocolErrorInfo | undefined;
    if (info === undefined) throw new TypeError(`code must be a protocol error code, got ${String(code)}`);
    super(code, message, options);
    this.name = 'ProtocolError';
    this.closeCode = info.closeCode;
  }

  /** The message cut to the 123 UTF-8 bytes a WebSocket close frame can carry. */
  get closeReason(): string {
    return closeReason(this.message);
  }
}

/**
 * Turns a close frame received from the peer back into the error it stands for.
 * @param closeCode the code of the close frame
 * @param reason the reason of the close frame ('' if none)
 * @returns a ProtocolError, or undefined if the close code is not a protocol error's
 */
export function protocolErrorFromClose(closeCode: number, reason: string): ProtocolError | undefined {
  for (const [code, info] of Object.entries(PROTOCOL_ERRORS) as [ProtocolErrorCodeValue, ProtocolErrorInfo][]) {
    if (info.closeCode === closeCode) {
      return new ProtocolError(code, `peer closed the connection (${closeCode}): ${reason || info.meaning}`);
    }
  }
  return undefined;
}
