/**
 * The coordinator–worker wire protocol (architecture §5). Every message is a msgpack map with `t`
 * (its type) and the fields below; binary payloads are Uint8Array (msgpack bin), never arrays
 * of numbers. Float32 payloads are little-endian IEEE-754.
 *
 * A connection, worker (W) and coordinator (C):
 *   W→C hello       protocol version, what the worker is (threads, kernel backend, label)
 *   C→W challenge   a random nonce, the coordinator's id   (refusal: error + close 1002/4001)
 *   W→C auth        HMAC(K, nonce‖cnonce‖binding), the worker's own nonce, the address it dialled
 *   C→W welcome     HMAC(K, cnonce‖nonce‖binding) proving the coordinator knows the token too,
 *                   the worker id, model spec, training config, data-set descriptor, heartbeat
 *   every message after auth, both ways, carries `n` (its sequence number) and `sig` (seal.ts)
 *   W→C data-request / C→W data-chunk   only if the worker lacks the data set (by fingerprint)
 *   W→C ready       the worker holds the data set whose fingerprint it names
 *   C→W step        weights version (+ one tensor frame of weights after it if the worker lacks
 *                   them), epoch, batch, and the shards to compute as (offset, count) runs of
 *                   the epoch's order
 *   W→C result      per shard: loss sum, count; compute time; then one tensor frame per gradient
 *   tensor frames are raw binary frames, not msgpack (tensor-frames.ts), MAC'd and numbered in
 *   the same sequence as the signed messages of their direction
 *   both heartbeat  liveness; both leave (a reason) and error (a code and a message)
 */
import type { LocalRoundPlan, ModelSpec } from '@gradswarm/core';

/**
 * Version of this protocol; peers with a different version are refused. Version 2 binds the
 * handshake to the connection (`challenge.coordinatorId`, `auth.dialled`), keys the token with
 * scrypt, signs every message after `auth` (`n`, `sig`; see `seal.ts`), adds `welcome.heartbeatMs`,
 * and makes `step.step` the trainer's global step with `request` as the per-connection id.
 * Version 3 moves the step's weights and the result's gradients out of msgpack into tensor
 * frames (`step.weights` and `result.grads` say what follows) and adds `step.resultPrecision`.
 * Version 4 sends a result's gradient frames before the result message, each as soon as its
 * shard is computed, so a worker holds a few gradients at a time, not one per shard.
 */
export const PROTOCOL_VERSION = 4;

export interface HelloMessage {
  readonly t: 'hello';
  readonly version: number;
  /** Threads the worker computes with. */
  readonly threads: number;
  /** Kernel backend name (reproducible runs need the same one everywhere). */
  readonly backend: string;
  /** Free text for logs (host name, "synthetic", …). */
  readonly label: string;
  /**
   * Optional: the job's world size as this worker's launcher says it (`gradswarm launch`); a
   * coordinator started with another one refuses it (GS_ERR_WORLD_SIZE_MISMATCH). Absent: any.
   */
  readonly worldSize?: number;
  /**
   * Optional: what runs the worker, for the dashboard and /status: `node` (`gradswarm worker`)
   * or `browser` (a tab that opened /join). Absent: node.
   */
  readonly agent?: WorkerAgent;
}

/** What runs a remote worker (`hello.agent`). */
export type WorkerAgent = 'node' | 'browser';
/** Every value `hello.agent` may take. */
export const WORKER_AGENTS: readonly WorkerAgent[] = ['node', 'browser'];

export interface ChallengeMessage {
  readonly t: 'challenge';
  readonly nonce: Uint8Array;
  /** 16 random bytes naming this coordinator process; part of the connection binding. */
  readonly coordinatorId: Uint8Array;
}

export interface AuthMessage {
  readonly t: 'auth';
  readonly mac: Uint8Array;
  readonly cnonce: Uint8Array;
  /** The address the worker dialled (`normalizeDialled`), which its MAC is bound to. */
  readonly dialled: string;
}

/** Training configuration a worker needs to derive plans: the same on both sides. */
export interface WireTrainingConfig {
  readonly seed: number;
  readonly shuffle: boolean;
  /** Rows per backprop block; fixed so results do not depend on the machine. */
  readonly blockRows: number;
}

/** Describes the data set a run trains on; its fingerprint names it. */
export interface WireDatasetDescriptor {
  readonly fingerprint: string;
  readonly count: number;
  readonly featureCount: number;
  readonly classCount: number;
  /** Size of the encoded data set in bytes. */
  readonly bytes: number;
  readonly name: string;
}

export interface WelcomeMessage {
  readonly t: 'welcome';
  readonly mac: Uint8Array;
  readonly workerId: number;
  readonly spec: ModelSpec;
  readonly config: WireTrainingConfig;
  readonly dataset: WireDatasetDescriptor;
  /** Largest data-chunk the coordinator sends. */
  readonly chunkBytes: number;
  /** The coordinator's heartbeat interval: a worker that hears nothing for 3 of them reconnects. */
  readonly heartbeatMs: number;
}

export interface DataRequestMessage {
  readonly t: 'data-request';
  readonly fingerprint: string;
  readonly offset: number;
  readonly length: number;
}

export interface DataChunkMessage {
  readonly t: 'data-chunk';
  readonly fingerprint: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ReadyMessage {
  readonly t: 'ready';
  readonly fingerprint: string;
  /** The port of this worker's chain peer endpoint; absent: it cannot be reached (`--no-listen`), the star serves it. */
  readonly peerPort?: number;
  /** The host its peers dial (`--advertise-host`); absent: the address the coordinator sees. */
  readonly peerHost?: string;
  /**
   * SHA-256 of its peer endpoint's TLS certificate (64 lowercase hex digits), under a TLS run: the
   * endpoint serves wss:// with a certificate the worker made for itself, and its predecessor pins
   * this fingerprint, learnt over the authenticated coordinator link (architecture §8).
   */
  readonly peerFingerprint?: string;
}

/** One run of the epoch's sample order to compute: positions [offset, offset + count). */
export interface WireShard {
  readonly offset: number;
  readonly count: number;
}

export interface StepMessage {
  readonly t: 'step';
  /** The trainer's global step (0-based; optimizer steps taken before this one), echoed in the result. */
  readonly step: number;
  /** Per-connection request id (1, 2, …), echoed in the result; a result for another is stale. */
  readonly request: number;
  readonly version: number;
  /** true: the weights of `version` follow as one tensor frame; absent: the worker already has them. */
  readonly weights?: boolean;
  readonly epoch: number;
  readonly batch: number;
  readonly shards: readonly WireShard[];
  /** `each`: return every shard's gradient whole (reproducible mode); `sum`: one summed gradient. */
  readonly reduce: 'each' | 'sum';
  /**
   * Present: this step is reduced along the chain (architecture §8). The weights arrive in chunk
   * frames from `next` (not in this message), the worker adds its shards' gradients (`reduce` says
   * how it computes them: each whole and added in shard order, or its threads pre-summed) to the
   * running sum from `prev` and sends it on to `next`; its result carries statistics only.
   */
  readonly chain?: WireChainRole;
  /** `bf16`: send the gradients as bfloat16 (`--wire-precision bf16` outside reproducible mode); absent: float32. */
  readonly resultPrecision?: 'bf16';
  /**
   * Present: a local-SGD round (architecture §10), always `each` and off the chain. Each shard is a
   * replica (offset: its index; count: its samples over the round); the worker takes the plan's
   * inner steps from the weights of `version` and returns each replica's change start − end as
   * its "gradient".
   */
  readonly local?: WireLocalRound;
  /**
   * The run's planned last step (issue 17 item 4): a worker that answered it and then loses the
   * link takes the run as finished, not cut, and exits 0 (absent when the end is not known in
   * advance: early stopping, full-batch runs; then only `leave 'finished'` says it).
   */
  readonly final?: boolean;
}

/** The plan of a local-SGD round: core's LocalRoundPlan (validate-local-round.ts checks it). */
export type WireLocalRound = LocalRoundPlan;

/** A worker's place in one chain round. */
export interface WireChainRole {
  /** The coordinator's id of this attempt at the step; chunk frames carry it. */
  readonly round: number;
  /** Worker id of the predecessor whose running sum this worker adds to; -1: this worker is the head. */
  readonly prev: number;
  /** Worker id of the successor; -1: the coordinator (this worker is the last of the chain). */
  readonly nextId: number;
  /** ws:// or wss:// URL of the successor's peer endpoint; absent for the coordinator (its `/peer` path). */
  readonly next?: string;
  /** With a wss:// `next`: the SHA-256 its certificate must have (the successor's `ready.peerFingerprint`). */
  readonly nextFingerprint?: string;
  /** Floats per chunk frame. */
  readonly chunkFloats: number;
}

export interface ResultMessage {
  readonly t: 'result';
  readonly step: number;
  readonly request: number;
  readonly version: number;
  /**
   * Gradients that came as tensor frames before this message (the worker streams each as its
   * shard is done): one per shard (reduce `each`) or exactly one (reduce `sum`); 0 for a chain
   * step, whose gradient went along the chain (lossSums and counts as for `reduce`).
   */
  readonly grads: number;
  /** Σℓ per entry of `grads`. */
  readonly lossSums: readonly number[];
  /** Sample count per entry of `grads`. */
  readonly counts: readonly number[];
  readonly computeMs: number;
  /**
   * A chain step this worker could not finish (a peer link failed, a chunk was refused): why,
   * with no statistics. `blame` is the worker id it holds responsible (-1: none, e.g. it was cut
   * off by a peer that refused it); the coordinator re-plans the step over the survivors.
   */
  readonly failed?: string;
  /**
   * A chain step's bytes of chunk frames this worker sent and received over its peer links (its
   * dialled link and the one its endpoint accepted): the traffic the coordinator does not see.
   */
  readonly peerSentBytes?: number;
  readonly peerReceivedBytes?: number;
  readonly blame?: number;
  /**
   * With `failed`: the blamed successor's peer endpoint could not be reached at all (refused,
   * unknown host, no route, timed out), rather than misbehaving on a link: the coordinator moves
   * it to the star instead of dropping it.
   */
  readonly unreachable?: boolean;
}

export interface HeartbeatMessage {
  readonly t: 'heartbeat';
  readonly timeMs: number;
}

export interface LeaveMessage {
  readonly t: 'leave';
  readonly reason: string;
}

export interface ErrorMessage {
  readonly t: 'error';
  readonly code: string;
  readonly message: string;
}

export type Message =
  | HelloMessage
  | ChallengeMessage
  | AuthMessage
  | WelcomeMessage
  | DataRequestMessage
  | DataChunkMessage
  | ReadyMessage
  | StepMessage
  | ResultMessage
  | HeartbeatMessage
  | LeaveMessage
  | ErrorMessage;

export type MessageType = Message['t'];

export const MESSAGE_TYPES: readonly MessageType[] = [
  'hello',
  'challenge',
  'auth',
  'welcome',
  'data-request',
  'data-chunk',
  'ready',
  'step',
  'result',
  'heartbeat',
  'leave',
  'error',
];
