/**
 * The worker's side of one connection, as a state machine without a socket (in the manner of
 * ws's Receiver): the driver calls `open` once the socket is open, feeds it every frame
 * (`receive`) and its own intents (`requestChunk`, `ready`, `result`, `leave`, `fail`), and
 * applies the actions it returns, in order.
 *
 * States and transitions:
 *   0 AWAIT_CHALLENGE  open                         → hello
 *                      challenge                    → auth {mac, cnonce, dialled}        → 1
 *   1 AWAIT_WELCOME    welcome, signed, MAC verifies → welcome                          → 2
 *   2 PREPARING        requestChunk → data-request;  data-chunk → chunk;  ready() → ready → 3
 *   3 READY            step (+ its weights' tensor frame) → step;
 *                      gradient() → one tensor frame (a shard's gradient, as soon as it is done);
 *                      result() → a tensor frame per gradient not streamed yet, then result → 3
 *   2, 3               heartbeat → heartbeat back
 *   any                error with a refusal code (auth, version, backend) → refused      → 4
 *                      other error → log;  leave 'finished' from a verified coordinator (2, 3,
 *                      or 1 when sealed in place of the welcome: the run ended mid-handshake)
 *                      → finished; any other leave, and every unsealed one before the welcome → lost → 4
 *                      a frame that does not decode, is not allowed here or fails its
 *                      signature → close with the error's close code, lost              → 4
 *   4 CLOSED           every frame is ignored
 * From the welcome on, every message both ways is signed (`seal.ts`).
 */
import {
  bindingDigest,
  authMac,
  createNonce,
  normalizeFingerprint,
  sessionKeys,
  verifyMac,
  welcomeMac,
  type HmacKey,
  type SessionKeys,
} from './auth.js';
import { closeCode, closeReason, truncateUtf8 } from './close-reason.js';
import { decodeFrame } from './decode.js';
import { encodeMessage } from './encode.js';
import { CLOSE_NORMAL, PROTOCOL_ERRORS, ProtocolError, ProtocolErrorCode } from './errors.js';
import { DEFAULT_PROTOCOL_LIMITS, handshakeLimits, limitsForModel, type ProtocolLimits } from './limits.js';
import { PROTOCOL_VERSION, type Message, type MessageType, type ResultMessage, type StepMessage } from './messages.js';
import type { WorkerAgent } from './messages.js';
import { openSealed, sealMessage } from './seal.js';
import type { CloseAction, WorkerAction } from './session-actions.js';
import { SessionQueue } from './session-queue.js';
import { parameterCount, peerText } from '@gradswarm/core';
import { isChunkFrame } from './chain-frame.js';
import { decodeTensorFrame, encodeTensorFrame, TensorKind } from './tensor-frames.js';

/** What a worker answers a step with: the gradients as floats (they go as tensor frames). */
export type WorkerResult = Pick<
  ResultMessage,
  'lossSums' | 'counts' | 'computeMs' | 'failed' | 'blame' | 'unreachable' | 'peerSentBytes' | 'peerReceivedBytes'
> & {
  readonly grads: readonly Float32Array[];
};

/** The worker session's states. */
export const WorkerState = { AWAIT_CHALLENGE: 0, AWAIT_WELCOME: 1, PREPARING: 2, READY: 3, CLOSED: 4 } as const;
export type WorkerStateValue = (typeof WorkerState)[keyof typeof WorkerState];

/** Message types the coordinator may send in each state (`ValidationContext.allowed`). */
const ALLOWED: Readonly<Record<WorkerStateValue, readonly MessageType[]>> = {
  0: ['challenge', 'error', 'leave'],
  1: ['welcome', 'error', 'leave'],
  2: ['data-chunk', 'heartbeat', 'error', 'leave'],
  3: ['step', 'heartbeat', 'error', 'leave'],
  4: [],
};

/** Codes of a coordinator's `error` after which retrying cannot help. */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  ProtocolErrorCode.AUTH,
  ProtocolErrorCode.VERSION,
  ProtocolErrorCode.BACKEND_MISMATCH,
  ProtocolErrorCode.WORLD_SIZE_MISMATCH,
]);

export interface WorkerSessionOptions {
  /** The token key (`deriveTokenKey`). */
  readonly tokenKey: HmacKey;
  /** The address this worker dialled, as `normalizeDialled` writes it. */
  readonly dialled: string;
  readonly threads: number;
  readonly backend: string;
  readonly label: string;
  /** The job's world size, sent in hello for the coordinator to check (`gradswarm launch`) [not sent]. */
  readonly worldSize?: number;
  /** What runs this worker, sent as `hello.agent` [not sent: node]. */
  readonly agent?: WorkerAgent;
  /** Largest number of shards a step may carry [DEFAULT_PROTOCOL_LIMITS.maxShardsPerStep]. */
  readonly maxShardsPerStep?: number;
}

export class WorkerSession {
  private stateValue: WorkerStateValue = WorkerState.AWAIT_CHALLENGE;
  private readonly queue = new SessionQueue();
  private certFingerprint = '';
  private nonce: Uint8Array | null = null;
  private cnonce: Uint8Array | null = null;
  private binding: Uint8Array | null = null;
  private keys: SessionKeys | null = null;
  /** Until the coordinator is verified (its welcome), a frame may hold a handshake message only. */
  private limits: ProtocolLimits = handshakeLimits(DEFAULT_PROTOCOL_LIMITS);
  private parameterCount: number | undefined;
  private sentSeq = 0;
  private receivedSeq = 0;
  private fingerprint = '';
  /** A step whose weights' tensor frame is still due. */
  private incomingStep: StepMessage | null = null;
  /** Gradient frames sent for a request whose result is not sent yet. */
  private streamed: { readonly request: number; count: number } | null = null;

  constructor(private readonly options: WorkerSessionOptions) {}

  /** The current state (WorkerState). */
  get state(): WorkerStateValue {
    return this.stateValue;
  }

  /** The limits frames are checked against now (sized to the model once welcomed): ws's maxPayload. */
  get currentLimits(): ProtocolLimits {
    return this.limits;
  }

  /**
   * The socket is open: say hello.
   * @param certFingerprint [''] SHA-256 of the coordinator's TLS certificate on wss (hex, colons allowed)
   */
  open(certFingerprint = ''): Promise<WorkerAction[]> {
    return this.queue.run(() => {
      this.certFingerprint = normalizeFingerprint(certFingerprint);
      const o = this.options;
      return [
        {
          kind: 'send',
          bytes: encodeMessage({
            t: 'hello',
            version: PROTOCOL_VERSION,
            threads: o.threads,
            backend: o.backend,
            label: o.label,
            ...(o.worldSize === undefined ? {} : { worldSize: o.worldSize }),
            ...(o.agent === undefined ? {} : { agent: o.agent }),
          }),
        },
      ];
    });
  }

  /** One frame from the coordinator. */
  receive(frame: Uint8Array, isBinary = true): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === WorkerState.CLOSED) return [];
      const before = this.stateValue;
      try {
        return await this.onFrame(frame, isBinary);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.stateValue = WorkerState.CLOSED;
        // A welcome that does not verify: the peer does not hold the token; retrying cannot help.
        if (err.code === ProtocolErrorCode.AUTH && before === WorkerState.AWAIT_WELCOME) {
          return [close(err.closeCode, err.message), { kind: 'refused', code: err.code, message: err.message }];
        }
        return [
          close(err.closeCode, err.message),
          { kind: 'lost', message: `refused a message from the coordinator: ${peerText(err.message)}` },
        ];
      }
    });
  }

  /** Asks for `length` bytes of the data set at `offset` (PREPARING only). */
  requestChunk(offset: number, length: number): Promise<WorkerAction[]> {
    return this.queue.run(async () =>
      this.stateValue === WorkerState.PREPARING
        ? [await this.signed({ t: 'data-request', fingerprint: this.fingerprint, offset, length })]
        : [],
    );
  }

  /** The data set is here: ready {fingerprint} → READY. */
  /** @param peer where this worker's chain peers reach it (none: `--no-listen`, served by the star) */
  ready(peer?: {
    readonly port: number;
    readonly host?: string;
    readonly fingerprint?: string;
  }): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue !== WorkerState.PREPARING) return [];
      this.stateValue = WorkerState.READY;
      const where = peer
        ? {
            peerPort: peer.port,
            ...(peer.host ? { peerHost: peer.host } : {}),
            ...(peer.fingerprint ? { peerFingerprint: peer.fingerprint } : {}),
          }
        : {};
      return [await this.signed({ t: 'ready', fingerprint: this.fingerprint, ...where })];
    });
  }

  /**
   * The next gradient of `step` as one tensor frame, sent before its result so the worker need
   * not hold every shard's gradient until the last is done (the values are copied into the frame).
   */
  gradient(step: StepMessage, grad: Float32Array): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue !== WorkerState.READY) return [];
      return [await this.gradientFrame(step, grad)];
    });
  }

  /**
   * The answer to `step` (its step, request and version are copied in): the gradients in
   * `result.grads` go as tensor frames after any streamed with gradient(), then the result.
   */
  result(step: StepMessage, result: WorkerResult): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue !== WorkerState.READY) return [];
      const sent: WorkerAction[] = [];
      for (const grad of result.grads) sent.push(await this.gradientFrame(step, grad));
      const grads = this.streamed?.request === step.request ? this.streamed.count : 0;
      this.streamed = null;
      const message: ResultMessage = {
        t: 'result',
        step: step.step,
        request: step.request,
        version: step.version,
        grads,
        lossSums: result.lossSums,
        counts: result.counts,
        computeMs: result.computeMs,
        ...(result.failed === undefined ? {} : { failed: result.failed, blame: result.blame ?? -1 }),
        ...(result.failed !== undefined && result.unreachable ? { unreachable: true } : {}),
        ...(result.peerSentBytes === undefined ? {} : { peerSentBytes: result.peerSentBytes }),
        ...(result.peerReceivedBytes === undefined ? {} : { peerReceivedBytes: result.peerReceivedBytes }),
      };
      sent.push(await this.signed(message));
      return sent;
    });
  }

  private async gradientFrame(step: StepMessage, grad: Float32Array): Promise<WorkerAction> {
    if (this.streamed?.request !== step.request) this.streamed = { request: step.request, count: 0 };
    const header = {
      kind: TensorKind.RESULT_GRADIENT,
      seq: ++this.sentSeq,
      round: step.request,
      index: this.streamed.count++,
      parameterCount: grad.length,
    };
    const key = this.keys!.workerToCoordinator;
    return { kind: 'send', bytes: await encodeTensorFrame(header, grad, step.resultPrecision ?? 'f32', key) };
  }

  /**
   * Sends any message as it stands, signed once welcomed (a test's way to say something wrong
   * on a connection it authenticated; real drivers use the methods above).
   */
  send(message: Message): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === WorkerState.CLOSED) return [];
      return [this.keyed() ? await this.signed(message) : { kind: 'send', bytes: encodeMessage(message) }];
    });
  }

  /** The worker stops: leave {reason} (signed once welcomed), close 1000. */
  leave(reason: string): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === WorkerState.CLOSED) return [];
      const message: Message = { t: 'leave', reason: truncateUtf8(reason, DEFAULT_PROTOCOL_LIMITS.maxLabelLength) };
      const send = this.keyed() ? await this.signed(message) : { kind: 'send' as const, bytes: encodeMessage(message) };
      this.stateValue = WorkerState.CLOSED;
      return [send, close(CLOSE_NORMAL, reason)];
    });
  }

  /** The worker failed (a step, the data set): error {code, message} to the coordinator. */
  fail(code: string, message: string): Promise<WorkerAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === WorkerState.CLOSED) return [];
      const max = DEFAULT_PROTOCOL_LIMITS.maxLabelLength;
      const error: Message = {
        t: 'error',
        code: truncateUtf8(code, max) || 'GS_ERR_WORKER',
        message: truncateUtf8(message, max),
      };
      const send = this.keyed() ? await this.signed(error) : { kind: 'send' as const, bytes: encodeMessage(error) };
      this.stateValue = WorkerState.CLOSED;
      return [send];
    });
  }

  /**
   * The coordinator said nothing for `silentMs` (the driver's deadline, 3 heartbeat intervals):
   * the link is taken as lost. Close 4007 (GS_ERR_WORKER_LOST), lost → CLOSED.
   */
  silent(silentMs: number): Promise<WorkerAction[]> {
    return this.queue.run(() => {
      if (this.stateValue === WorkerState.CLOSED) return [];
      this.stateValue = WorkerState.CLOSED;
      const reason = `no message from the coordinator for ${(silentMs / 1000).toFixed(1)} s`;
      return [close(PROTOCOL_ERRORS[ProtocolErrorCode.SILENT].closeCode, reason), { kind: 'lost', message: reason }];
    });
  }

  /** The socket closed: the session takes no more input. */
  closed(): void {
    this.stateValue = WorkerState.CLOSED;
  }

  private keyed(): boolean {
    return this.stateValue === WorkerState.PREPARING || this.stateValue === WorkerState.READY;
  }

  private async onFrame(frame: Uint8Array, isBinary: boolean): Promise<WorkerAction[]> {
    if (!isBinary) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'a text frame; messages are binary msgpack');
    // Before READY a 0xc1 byte is just bad msgpack (decodeFrame says so).
    if (this.stateValue === WorkerState.READY && isChunkFrame(frame)) return this.onWeightsFrame(frame);
    if (this.incomingStep)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `a message while the weights of request ${this.incomingStep.request} were still due`,
      );
    const decoded = decodeFrame(frame, this.limits, {
      parameterCount: this.parameterCount,
      allowed: ALLOWED[this.stateValue],
    });
    const m = decoded.message;
    // A coordinator whose run ended while this worker was in the handshake answers the auth with
    // a signed leave instead of a welcome: sealed with this session's keys, it proves the token.
    // One whose seal fails is a stranger's, like an unsealed one: not trusted, and no refusal either.
    const sealedLeave =
      m.t === 'leave' &&
      this.stateValue === WorkerState.AWAIT_WELCOME &&
      decoded.sig !== undefined &&
      (await openSealed(frame, decoded, this.keys!.coordinatorToWorker, this.receivedSeq + 1).then(
        () => true,
        () => false,
      ));
    const verified = this.keyed() || sealedLeave;
    if (
      m.t === 'welcome' &&
      !verifyMac(await welcomeMac(this.options.tokenKey, this.nonce!, this.cnonce!, this.binding!), m.mac)
    ) {
      throw new ProtocolError(
        ProtocolErrorCode.AUTH,
        'the coordinator could not prove it knows the token - help: check --token and --connect',
      );
    }
    // The welcome and everything after it are signed; an unsigned refusal before it is allowed.
    if (this.keyed() || m.t === 'welcome')
      await openSealed(frame, decoded, this.keys!.coordinatorToWorker, ++this.receivedSeq);
    switch (m.t) {
      case 'challenge':
        return this.onChallenge(m);
      case 'welcome': {
        const P = parameterCount(m.spec.layers);
        this.parameterCount = P;
        this.limits = limitsForModel(P, this.options.maxShardsPerStep ?? DEFAULT_PROTOCOL_LIMITS.maxShardsPerStep);
        this.fingerprint = m.dataset.fingerprint;
        this.stateValue = WorkerState.PREPARING;
        return [{ kind: 'welcome', welcome: m }];
      }
      case 'data-chunk':
        if (m.fingerprint !== this.fingerprint)
          throw new ProtocolError(ProtocolErrorCode.INVALID, 'the coordinator sent a chunk of another data set');
        return [{ kind: 'chunk', chunk: m }];
      case 'step':
        if (m.weights) {
          this.incomingStep = m;
          return [];
        }
        return [{ kind: 'step', step: m }];
      case 'heartbeat':
        return [await this.signed({ t: 'heartbeat', timeMs: Date.now() })];
      case 'error':
        if (REFUSAL_CODES.has(m.code)) {
          this.stateValue = WorkerState.CLOSED;
          return [
            { kind: 'refused', code: m.code, message: `the coordinator refused this worker: ${peerText(m.message)}` },
          ];
        }
        return [{ kind: 'log', line: `coordinator reported ${peerText(m.code)}: ${peerText(m.message)}` }];
      case 'leave':
        this.stateValue = WorkerState.CLOSED;
        // Before the welcome verifies, anyone at the address can say "finished": only a
        // verified coordinator can end the worker's run (issue 17 item 4); a stranger's leave is a lost link.
        if (!verified)
          return [
            {
              kind: 'lost',
              message: `an unverified peer at the coordinator's address said leave (${peerText(m.reason)}); not trusted, reconnecting`,
            },
          ];
        return [
          m.reason === 'finished'
            ? { kind: 'finished' }
            : { kind: 'lost', message: `coordinator left: ${peerText(m.reason)}` },
        ];
      default:
        throw new ProtocolError(ProtocolErrorCode.UNEXPECTED, `unexpected '${m.t}' message`);
    }
  }

  /** The weights of the step just announced (tensor-frames.ts checks MAC, order, request, length, finiteness). */
  private async onWeightsFrame(frame: Uint8Array): Promise<WorkerAction[]> {
    const step = this.incomingStep;
    if (!step || this.parameterCount === undefined)
      throw new ProtocolError(ProtocolErrorCode.UNEXPECTED, 'a tensor frame that no step announced');
    const weights = await decodeTensorFrame(frame, this.keys!.coordinatorToWorker, {
      kind: TensorKind.STEP_WEIGHTS,
      seq: ++this.receivedSeq,
      round: step.request,
      index: 0,
      parameterCount: this.parameterCount,
    });
    this.incomingStep = null;
    return [{ kind: 'step', step, weights }];
  }

  private async onChallenge(m: Extract<Message, { t: 'challenge' }>): Promise<WorkerAction[]> {
    const o = this.options;
    this.nonce = m.nonce;
    this.cnonce = createNonce();
    this.binding = await bindingDigest({
      dialled: o.dialled,
      coordinatorId: m.coordinatorId,
      certFingerprint: this.certFingerprint,
    });
    this.keys = await sessionKeys(o.tokenKey, this.nonce, this.cnonce, this.binding);
    const mac = await authMac(o.tokenKey, this.nonce, this.cnonce, this.binding);
    this.stateValue = WorkerState.AWAIT_WELCOME;
    return [{ kind: 'send', bytes: encodeMessage({ t: 'auth', mac, cnonce: this.cnonce, dialled: o.dialled }) }];
  }

  private async signed(message: Message): Promise<WorkerAction> {
    return { kind: 'send', bytes: await sealMessage(message, this.keys!.workerToCoordinator, ++this.sentSeq) };
  }
}

function close(code: number, reason: string): CloseAction {
  return { kind: 'close', code: closeCode(code), reason: closeReason(reason) };
}
