/**
 * The coordinator's side of one connection, as a state machine without a socket (in the manner
 * of ws's Receiver): the driver feeds it frames (`receive`) and its own intents (`sendStep`,
 * `heartbeat`, `drop`, `leave`) and applies the actions it returns, in order.
 *
 * States and transitions:
 *   0 AWAIT_HELLO  hello (right version)            → challenge {nonce, coordinatorId}    → 1
 *   1 AWAIT_AUTH   auth whose MAC verifies, bound to an address of ours (ws) or our certificate
 *                  (wss), backend allowed           → joined, welcome (signed, n = 1)     → 2
 *                  (after leave() came mid-handshake: leave, signed, in its place, close → 4)
 *   2 JOINED       data-request in range            → data-chunk                          → 2
 *                  ready for our data set           → admit                               → 3
 *   3 READY        step (+ its weights' tensor frame)
 *                  a gradient's tensor frame for the step in flight → gradient (the driver
 *                  copies it out at once: the worker streams them as its shards are done)
 *                  result for the step in flight, after its gradients → result (or rejected) → 3
 *   2, 3           heartbeat → alive;  leave → left, close 1000;  error → worker-error, close 1011
 *   any            a frame that does not decode, a type not allowed here, a bad MAC or
 *                  signature → refused, error {code, message}, close with the code's close code → 4
 *   4 CLOSED       every frame is ignored
 * From state 2 on, every message both ways is signed (`seal.ts`); before it none is. Tensor
 * frames (tensor-frames.ts) carry the MAC and the sequence number of their direction too. The
 * weights follow their step with nothing in between; gradient frames come in index order before
 * their result, with heartbeats (or a leave, an error) between them.
 */
import {
  bindingDigest,
  createNonce,
  sessionKeys,
  verifyMac,
  authMac,
  welcomeMac,
  type HmacKey,
  type SessionKeys,
} from './auth.js';
import { closeCode, closeReason, truncateUtf8 } from './close-reason.js';
import { decodeFrame } from './decode.js';
import { encodeMessage } from './encode.js';
import {
  CLOSE_NORMAL,
  CLOSE_PEER_ERROR,
  PROTOCOL_ERRORS,
  ProtocolError,
  ProtocolErrorCode,
  type ProtocolErrorCodeValue,
} from './errors.js';
import { handshakeLimits, type ProtocolLimits } from './limits.js';
import type { HelloMessage, Message, MessageType, StepMessage, WelcomeMessage } from './messages.js';
import { openSealed, sealMessage } from './seal.js';
import type { CloseAction, CoordinatorAction } from './session-actions.js';
import { SessionQueue } from './session-queue.js';
import { checkResultForStep } from './step-result.js';
import { isChunkFrame } from './chain-frame.js';
import {
  decodeTensorFrame,
  encodeTensorFrame,
  TensorKind,
  tensorFrameRound,
  type WirePrecision,
} from './tensor-frames.js';

/** The coordinator session's states. */
export const CoordinatorState = { AWAIT_HELLO: 0, AWAIT_AUTH: 1, JOINED: 2, READY: 3, CLOSED: 4 } as const;
export type CoordinatorStateValue = (typeof CoordinatorState)[keyof typeof CoordinatorState];

/** Message types a worker may send in each state (`ValidationContext.allowed`). */
const ALLOWED: Readonly<Record<CoordinatorStateValue, readonly MessageType[]>> = {
  0: ['hello'],
  1: ['auth'],
  2: ['data-request', 'ready', 'heartbeat', 'leave', 'error'],
  3: ['result', 'heartbeat', 'leave', 'error'],
  4: [],
};

/** A step as the driver asks for it: the weights, if the worker lacks them, as floats. */
export type StepRequest = Omit<StepMessage, 't' | 'request' | 'weights'> & { readonly weights?: Float32Array };

/** Gradient frames of a request whose result has not come yet; `step` null: an abandoned request's, read and ignored. */
interface IncomingGrads {
  readonly request: number;
  step: StepMessage | null;
  count: number;
}

/** Gradient frames a step asks for: one per shard (each), one (sum), none (chain). */
function gradientsFor(step: StepMessage): number {
  if (step.chain) return 0;
  return step.reduce === 'each' ? step.shards.length : 1;
}

/** What the welcome offers every worker (all of it but the MAC and the worker id). */
export type WelcomeOffer = Omit<WelcomeMessage, 't' | 'mac' | 'workerId'>;

export interface CoordinatorSessionOptions {
  /** The token key (`deriveTokenKey`). */
  readonly tokenKey: HmacKey;
  /** This coordinator process's id (`createCoordinatorId`), the same for every connection. */
  readonly coordinatorId: Uint8Array;
  /** Lowercase hex SHA-256 of our TLS certificate, '' on plain ws. */
  readonly certFingerprint: string;
  readonly limits: ProtocolLimits;
  /** P of the model: weights and gradients must be 4·P bytes. */
  readonly parameterCount: number;
  readonly offer: WelcomeOffer;
  /** The encoded data set that data-requests read from. */
  readonly dataset: Uint8Array;
  /** Reproducible mode: the kernel backend every worker must use. */
  readonly requireBackend?: string;
  /** `gradswarm launch`: the job's world size; a worker whose hello says another one is refused. */
  readonly worldSize?: number;
  /**
   * Whether the address a worker says it dialled (`normalizeDialled` form) is one of ours. Asked
   * on plain ws only: on wss the certificate in the binding already tells a relay apart.
   */
  readonly isOwnAddress: (dialled: string) => boolean;
  /** A fresh worker id (asked once the worker is authenticated). */
  readonly allocateId: () => number;
  /** How the step's weights travel (`--wire-precision`) ['f32']. */
  readonly wirePrecision?: WirePrecision;
}

export class CoordinatorSession {
  private stateValue: CoordinatorStateValue = CoordinatorState.AWAIT_HELLO;
  private readonly queue = new SessionQueue();
  private hello: HelloMessage | null = null;
  private nonce: Uint8Array | null = null;
  private keys: SessionKeys | null = null;
  private sentSeq = 0;
  private receivedSeq = 0;
  private requestId = 0;
  private pending: StepMessage | null = null;
  /** Requests up to this id were given up on (abandon()); their late results are ignored. */
  private abandonedRequest = 0;
  /** leave() came during the handshake: it is sent, signed, once the worker has authenticated. */
  private leaving: { readonly reason: string; readonly closeText: string } | null = null;
  private incoming: IncomingGrads | null = null;

  /** Before the worker is authenticated, a frame may hold a hello or an auth and nothing more. */
  private readonly earlyLimits: ProtocolLimits;

  constructor(private readonly options: CoordinatorSessionOptions) {
    this.earlyLimits = handshakeLimits(options.limits);
  }

  /**
   * The limits frames are checked against now: `handshakeLimits` until the welcome is sent,
   * the full (model-sized) limits after it. The driver sets ws's maxPayload to this.
   */
  get currentLimits(): ProtocolLimits {
    return this.stateValue === CoordinatorState.AWAIT_HELLO || this.stateValue === CoordinatorState.AWAIT_AUTH
      ? this.earlyLimits
      : this.options.limits;
  }

  /** The current state (CoordinatorState). */
  get state(): CoordinatorStateValue {
    return this.stateValue;
  }

  /**
   * One frame from the worker.
   * @param frame the frame's bytes (never modified)
   * @param isBinary false for a text frame, which is refused (messages are binary msgpack)
   */
  receive(frame: Uint8Array, isBinary = true): Promise<CoordinatorAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === CoordinatorState.CLOSED) return [];
      try {
        return await this.onFrame(frame, isBinary);
      } catch (err) {
        if (err instanceof ProtocolError) return this.refusal(err.code as ProtocolErrorCodeValue, err.message);
        throw err;
      }
    });
  }

  /** The coordinator no longer waits for the step in flight; its result, if it comes, is ignored. */
  abandon(): Promise<CoordinatorAction[]> {
    return this.queue.run(async () => {
      if (this.pending) this.abandonedRequest = this.pending.request;
      this.pending = null;
      if (this.incoming) this.incoming.step = null;
      return [];
    });
  }

  /**
   * Asks the ready worker for a step; the session gives it the next request id and remembers
   * it, so only a result for this step is accepted.
   * @returns the send action (none unless READY)
   */
  sendStep(step: StepRequest): Promise<CoordinatorAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue !== CoordinatorState.READY) return [];
      const message: StepMessage = {
        t: 'step',
        step: step.step,
        request: ++this.requestId,
        version: step.version,
        ...(step.weights ? { weights: true } : {}),
        epoch: step.epoch,
        batch: step.batch,
        shards: step.shards,
        reduce: step.reduce,
        ...(step.chain ? { chain: step.chain } : {}),
        ...(step.resultPrecision ? { resultPrecision: step.resultPrecision } : {}),
        ...(step.local ? { local: step.local } : {}),
        ...(step.final ? { final: true } : {}),
      };
      this.pending = message;
      const sent = [await this.signed(message)];
      if (step.weights) {
        const header = {
          kind: TensorKind.STEP_WEIGHTS,
          seq: ++this.sentSeq,
          round: message.request,
          index: 0,
          parameterCount: this.options.parameterCount,
        };
        const key = this.keys!.coordinatorToWorker;
        const bytes = await encodeTensorFrame(header, step.weights, this.options.wirePrecision ?? 'f32', key);
        sent.push({ kind: 'send', bytes });
      }
      return sent;
    });
  }

  /** The coordinator's heartbeat (to a welcomed worker only). */
  heartbeat(timeMs: number): Promise<CoordinatorAction[]> {
    return this.queue.run(async () => (this.keyed() ? [await this.signed({ t: 'heartbeat', timeMs })] : []));
  }

  /**
   * Ends the connection from this side for a reason in the error table (a missed step deadline,
   * missed heartbeats), without an error message: close with the code's close code.
   */
  drop(code: ProtocolErrorCodeValue, reason: string): Promise<CoordinatorAction[]> {
    return this.queue.run(() => {
      if (this.stateValue === CoordinatorState.CLOSED) return [];
      this.stateValue = CoordinatorState.CLOSED;
      return [close(PROTOCOL_ERRORS[code].closeCode, reason)];
    });
  }

  /**
   * The run ends (or the coordinator stops): leave {reason}, close 1000. A worker still in the
   * handshake would not trust an unsigned leave (anyone can send one) and would retry for
   * minutes: its leave waits for its auth and goes out signed in place of the welcome.
   */
  leave(reason: string, closeText: string): Promise<CoordinatorAction[]> {
    return this.queue.run(async () => {
      if (this.stateValue === CoordinatorState.CLOSED) return [];
      if (this.stateValue === CoordinatorState.AWAIT_HELLO || this.stateValue === CoordinatorState.AWAIT_AUTH) {
        this.leaving = { reason, closeText };
        return [];
      }
      const message: Message = { t: 'leave', reason: truncateUtf8(reason, this.options.limits.maxLabelLength) };
      const send = this.keyed() ? await this.signed(message) : { kind: 'send' as const, bytes: encodeMessage(message) };
      this.stateValue = CoordinatorState.CLOSED;
      return [send, close(CLOSE_NORMAL, closeText)];
    });
  }

  /** The socket closed: the session takes no more input. */
  closed(): void {
    this.stateValue = CoordinatorState.CLOSED;
  }

  private keyed(): boolean {
    return (
      this.keys !== null && (this.stateValue === CoordinatorState.JOINED || this.stateValue === CoordinatorState.READY)
    );
  }

  private async onFrame(frame: Uint8Array, isBinary: boolean): Promise<CoordinatorAction[]> {
    if (!isBinary) throw new ProtocolError(ProtocolErrorCode.MALFORMED, 'a text frame; messages are binary msgpack');
    // Before the worker is READY a 0xc1 byte is just bad msgpack (decodeFrame says so).
    if (this.stateValue === CoordinatorState.READY && isChunkFrame(frame)) return this.onTensorFrame(frame);
    const o = this.options;
    const decoded = decodeFrame(frame, this.currentLimits, {
      parameterCount: o.parameterCount,
      allowed: ALLOWED[this.stateValue],
    });
    if (this.keys) await openSealed(frame, decoded, this.keys.workerToCoordinator, ++this.receivedSeq);
    const m = decoded.message;
    switch (m.t) {
      case 'hello':
        return this.onHello(m);
      case 'auth':
        return this.onAuth(m);
      case 'data-request': {
        const total = o.dataset.byteLength;
        if (
          m.fingerprint !== o.offer.dataset.fingerprint ||
          m.offset + m.length > total ||
          m.length > o.offer.chunkBytes
        ) {
          throw new ProtocolError(
            ProtocolErrorCode.INVALID,
            `data-request for ${m.length} bytes at ${m.offset} is outside the data set (${total} bytes, chunks of ${o.offer.chunkBytes})`,
          );
        }
        return [
          { kind: 'alive' },
          await this.signed({
            t: 'data-chunk',
            fingerprint: m.fingerprint,
            offset: m.offset,
            bytes: o.dataset.subarray(m.offset, m.offset + m.length),
          }),
        ];
      }
      case 'ready':
        if (m.fingerprint !== o.offer.dataset.fingerprint)
          throw new ProtocolError(ProtocolErrorCode.INVALID, 'ready for another data set');
        this.stateValue = CoordinatorState.READY;
        return [
          { kind: 'alive' },
          m.peerPort === undefined
            ? { kind: 'admit' }
            : {
                kind: 'admit',
                peer: {
                  port: m.peerPort,
                  ...(m.peerHost ? { host: m.peerHost } : {}),
                  ...(m.peerFingerprint ? { fingerprint: m.peerFingerprint } : {}),
                },
              },
        ];
      case 'result': {
        const inc = this.incoming;
        this.incoming = null;
        const received = inc?.request === m.request ? inc.count : 0;
        if (received !== m.grads || (inc !== null && inc.request !== m.request))
          throw new ProtocolError(
            ProtocolErrorCode.INVALID,
            `result ${m.request} announces ${m.grads} gradients, but ${inc === null ? 0 : inc.count} gradient frames of request ${inc?.request ?? m.request} came before it`,
          );
        const step = this.pending;
        // The answer to a request the coordinator gave up on (a chain round it re-planned): too late to matter.
        if (this.isAbandoned(m.request)) return [{ kind: 'alive' }];
        try {
          checkResultForStep(step, m);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.stateValue = CoordinatorState.CLOSED;
          return [{ kind: 'alive' }, { kind: 'rejected', error: err }, close(err.closeCode, err.message)];
        }
        this.pending = null;
        return [{ kind: 'alive' }, { kind: 'result', result: m, step: step! }];
      }
      case 'heartbeat':
        return [{ kind: 'alive' }];
      case 'leave':
        this.stateValue = CoordinatorState.CLOSED;
        return [{ kind: 'left', reason: m.reason }, close(CLOSE_NORMAL, 'bye')];
      case 'error':
        this.stateValue = CoordinatorState.CLOSED;
        return [{ kind: 'worker-error', code: m.code, message: m.message }, close(CLOSE_PEER_ERROR, 'worker error')];
      default:
        // ALLOWED lets no other type through.
        throw new ProtocolError(ProtocolErrorCode.UNEXPECTED, `unexpected '${m.t}' message`);
    }
  }

  /** A request the coordinator gave up on (abandon()) and has not asked again since. */
  private isAbandoned(request: number): boolean {
    const step = this.pending;
    return request <= this.abandonedRequest && (step === null || request < step.request);
  }

  /**
   * One gradient of the request in flight, streamed before its result (tensor-frames.ts checks
   * MAC, order, request, index, length, finiteness): handed to the driver at once, which copies
   * it into its buffer, so no frame is held here.
   */
  private async onTensorFrame(frame: Uint8Array): Promise<CoordinatorAction[]> {
    if (!this.keys) throw new ProtocolError(ProtocolErrorCode.UNEXPECTED, 'a tensor frame before the handshake');
    let inc = this.incoming;
    if (inc === null) {
      const round = tensorFrameRound(frame) ?? -1;
      if (this.pending !== null && round === this.pending.request)
        inc = { request: round, step: this.pending, count: 0 };
      else if (round >= 0 && this.isAbandoned(round)) inc = { request: round, step: null, count: 0 };
      else
        throw new ProtocolError(
          ProtocolErrorCode.STALE,
          `stale gradient frame of request ${round} while ${this.pending ? `request ${this.pending.request}` : 'nothing'} is in flight`,
        );
    }
    const expected = inc.step ? gradientsFor(inc.step) : this.options.limits.maxShardsPerStep;
    if (inc.count >= expected)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `gradient frame ${inc.count} of request ${inc.request}, whose step asked for ${expected}`,
      );
    const tensor = await decodeTensorFrame(frame, this.keys.workerToCoordinator, {
      kind: TensorKind.RESULT_GRADIENT,
      seq: ++this.receivedSeq,
      round: inc.request,
      index: inc.count,
      parameterCount: this.options.parameterCount,
      ...(inc.step ? { dtype: inc.step.resultPrecision ?? 'f32' } : {}),
    });
    this.incoming = inc;
    const index = inc.count++;
    return inc.step ? [{ kind: 'alive' }, { kind: 'gradient', step: inc.step, index, tensor }] : [{ kind: 'alive' }];
  }

  private onHello(m: HelloMessage): CoordinatorAction[] {
    this.hello = m;
    this.nonce = createNonce();
    this.stateValue = CoordinatorState.AWAIT_AUTH;
    return [
      {
        kind: 'send',
        bytes: encodeMessage({ t: 'challenge', nonce: this.nonce, coordinatorId: this.options.coordinatorId }),
      },
    ];
  }

  private async onAuth(m: Extract<Message, { t: 'auth' }>): Promise<CoordinatorAction[]> {
    const o = this.options;
    const nonce = this.nonce!;
    const hello = this.hello!;
    const binding = await bindingDigest({
      dialled: m.dialled,
      coordinatorId: o.coordinatorId,
      certFingerprint: o.certFingerprint,
    });
    if (!verifyMac(await authMac(o.tokenKey, nonce, m.cnonce, binding), m.mac)) {
      const why =
        o.certFingerprint === '' ? 'wrong token' : 'wrong token (or a relay presenting another TLS certificate)';
      throw new ProtocolError(ProtocolErrorCode.AUTH, why);
    }
    if (o.certFingerprint === '' && !o.isOwnAddress(m.dialled)) {
      throw new ProtocolError(
        ProtocolErrorCode.AUTH,
        `the worker dialled ${m.dialled}, not an address of this coordinator: a relay may stand between - help: connect the worker to an address the coordinator printed`,
      );
    }
    if (o.requireBackend !== undefined && hello.backend !== o.requireBackend) {
      throw new ProtocolError(
        ProtocolErrorCode.BACKEND_MISMATCH,
        `reproducible mode needs kernel backend ${o.requireBackend} everywhere; this worker uses ${hello.backend} - help: start it with GRADSWARM_KERNEL=${o.requireBackend}`,
      );
    }
    // After the MAC: only a holder of the token learns the coordinator's world size.
    if (o.worldSize !== undefined && hello.worldSize !== undefined && hello.worldSize !== o.worldSize) {
      throw new ProtocolError(
        ProtocolErrorCode.WORLD_SIZE_MISMATCH,
        `this worker was launched with WORLD_SIZE=${hello.worldSize} but rank 0 with WORLD_SIZE=${o.worldSize} - help: start every rank with the same WORLD_SIZE`,
      );
    }
    this.keys = await sessionKeys(o.tokenKey, nonce, m.cnonce, binding);
    if (this.leaving) {
      const { reason, closeText } = this.leaving;
      const leave: Message = { t: 'leave', reason: truncateUtf8(reason, o.limits.maxLabelLength) };
      this.stateValue = CoordinatorState.CLOSED;
      return [await this.signed(leave), close(CLOSE_NORMAL, closeText)];
    }
    const workerId = o.allocateId();
    this.stateValue = CoordinatorState.JOINED;
    const mac = await welcomeMac(o.tokenKey, nonce, m.cnonce, binding);
    const welcome: WelcomeMessage = { t: 'welcome', mac, workerId, ...o.offer };
    return [{ kind: 'joined', workerId, hello }, await this.signed(welcome)];
  }

  /** refused (for the log), error {code, message}, close with the code's close code; → CLOSED. */
  private async refusal(code: ProtocolErrorCodeValue, reason: string): Promise<CoordinatorAction[]> {
    const error: Message = { t: 'error', code, message: truncateUtf8(reason, this.options.limits.maxLabelLength) };
    const send = this.keyed() ? await this.signed(error) : { kind: 'send' as const, bytes: encodeMessage(error) };
    this.stateValue = CoordinatorState.CLOSED;
    return [{ kind: 'refused', code, reason }, send, close(PROTOCOL_ERRORS[code].closeCode, reason)];
  }

  private async signed(message: Message): Promise<CoordinatorAction> {
    return { kind: 'send', bytes: await sealMessage(message, this.keys!.coordinatorToWorker, ++this.sentSeq) };
  }
}

function close(code: number, reason: string): CloseAction {
  return { kind: 'close', code: closeCode(code), reason: closeReason(reason) };
}
