import type { ReplicaTaskMessage, SliceTaskMessage } from './types.js';

/** The kinds of job a pool thread serves through its channel (thread-channel.ts). */

/** Σ∇ℓ of a shard: args [version, epoch, offset, count, stream] → [lossSum, count, computeMs]. */
export const JOB_GRADIENT = 1;
/** The next message on the port (a replica or a slice task); a replica's → [lossSum, count, computeMs]. */
export const JOB_MESSAGE = 2;

/** A job sent as a port message, numbered (args[0] of its JOB_MESSAGE). */
export interface PortJob {
  readonly id: number;
  readonly task: ReplicaTaskMessage | SliceTaskMessage;
}
