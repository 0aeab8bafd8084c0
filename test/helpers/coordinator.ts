/**
 * Plumbing for the tests that talk to a coordinator on the wire: a coordinator child process
 * with what its stderr says about itself (URL, kernel backend, parameter count), GET requests
 * to its /status over http or https, and a fake protocol client built on `ws` and
 * `@gradswarm/protocol` that can say exactly what a test wants, right or wrong:
 *   RawConnection   one WebSocket; send messages or raw frames, read decoded messages, see the close
 *   joinAsFake      a protocol WorkerSession over a RawConnection: hello → challenge → auth →
 *                   welcome (its MAC checked) → ready, without the data; later messages signed
 * Every process is started through ./processes.ts, so its killAll() ends them.
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { TLSSocket } from 'node:tls';
import {
  authMac,
  bindingDigest,
  decodeMessage,
  DEFAULT_PROTOCOL_LIMITS,
  deriveTokenKey,
  encodeMessage,
  normalizeDialled,
  normalizeFingerprint,
  PROTOCOL_VERSION,
  WorkerSession,
  type ChallengeMessage,
  type Message,
  type MessageType,
  type StepMessage,
  type WelcomeMessage,
  type WorkerAction,
  type WorkerResult,
} from '@gradswarm/protocol';
import WebSocket from 'ws';
import { startCoordinator, type Running } from './processes.js';

export interface CoordinatorProcess extends Running {
  /** ws://127.0.0.1:PORT or wss://… as printed. */
  readonly url: string;
  /** http(s)://127.0.0.1:PORT, the same port. */
  readonly httpUrl: string;
  /** Kernel backend of the coordinator (reproducible runs refuse workers with another one). */
  readonly backend: string;
  /** P of the model, from the `model:` line. */
  readonly parameterCount: number;
}

/**
 * Starts `gradswarm coordinator --port 0 --no-progress ...args` and resolves once it listens,
 * with its URL and what its `model:` line says.
 */
export async function launchCoordinator(args: readonly string[]): Promise<CoordinatorProcess> {
  const c = await startCoordinator(args);
  const [, params, backend] = await c.waitFor(/^model: \S+ .*?, (\d+) parameters; kernel backend: ([^;\s]+);/m);
  return Object.assign(c, { httpUrl: c.url.replace(/^ws/, 'http'), backend, parameterCount: Number(params) });
}

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET `url` (http or https; `ca` is trusted for https) and collect the reply. */
export function httpGetText(url: string, ca?: string | Buffer): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const onReply = (res: import('node:http').IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }),
      );
      res.on('error', reject);
    };
    const req = url.startsWith('https:') ? httpsGet(url, { ca }, onReply) : httpGet(url, onReply);
    req.on('error', reject);
  });
}

/** The coordinator's GET /status body, as the tests read it. */
export interface StatusBody {
  state: string;
  step: number;
  workers: Array<{
    id: number;
    name: string;
    state: string;
    threads: number;
    backend: string;
    samplesPerSecond: number;
    lastSeenMsAgo: number;
  }>;
  [key: string]: unknown;
}

/** GET /status, expecting 200 JSON. */
export async function getStatus(httpUrl: string, ca?: string | Buffer): Promise<StatusBody> {
  const reply = await httpGetText(`${httpUrl}/status`, ca);
  if (reply.status !== 200) throw new Error(`GET /status answered ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as StatusBody;
}

/** How a connection ended, as the client saw it. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/**
 * One raw WebSocket to the coordinator. Binary frames are decoded with the protocol package
 * (so a coordinator bug in encoding would show here too); every message is kept in arrival
 * order, and `next` hands them out one by one.
 */
export class RawConnection {
  /** Every message received, in order. */
  readonly received: Message[] = [];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<Closed>;
  /** The client's local port: the coordinator names an unauthenticated peer 127.0.0.1:PORT. */
  localPort = 0;
  /** SHA-256 of the server's TLS certificate on wss (lowercase hex), '' on ws. */
  certFingerprint = '';
  /** The protocol session that signs and answers for this connection once attached (joinAsFake). */
  private session: WorkerSession | null = null;
  private onAction: ((a: WorkerAction) => void) | null = null;
  /**
   * Socket errors seen by the client (e.g. EPIPE while the coordinator cuts an oversize frame),
   * and frames from the coordinator that do not decode.
   */
  readonly errors: Error[] = [];
  private cursor = 0;
  private wake: (() => void) | null = null;
  private ended = false;

  private constructor(
    readonly ws: WebSocket,
    /** Answer the coordinator's heartbeats, as a live worker does. */
    private readonly answerHeartbeats: boolean,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('upgrade', (res) => {
      this.localPort = res.socket.localPort ?? 0;
      const tls = res.socket as TLSSocket;
      if (typeof tls.getPeerCertificate === 'function')
        this.certFingerprint = normalizeFingerprint(tls.getPeerCertificate().fingerprint256 ?? '');
    });
    ws.on('error', (err) => this.errors.push(err));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A tensor frame (the weights after a step, protocol v3) is the session's to check and hand over.
      if (isBinary && data[0] === 0xc1 && this.session) {
        void this.session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).then(
          (actions) => this.apply(actions),
          (err) => this.errors.push(err as Error),
        );
        return;
      }
      let message: Message;
      try {
        if (!isBinary) throw new Error(`the coordinator sent a text frame: ${data.toString()}`);
        message = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), DEFAULT_PROTOCOL_LIMITS);
      } catch (err) {
        // A coordinator bug: kept for the test to see, never thrown inside ws.
        this.errors.push(err as Error);
        return;
      }
      if (this.session) {
        // The session checks signatures and answers heartbeats (signed) itself.
        void this.session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).then(
          (actions) => this.apply(actions),
          (err) => this.errors.push(err as Error),
        );
      } else if (message.t === 'heartbeat' && this.answerHeartbeats && ws.readyState === WebSocket.OPEN) {
        this.send({ t: 'heartbeat', timeMs: Date.now() });
      }
      this.received.push(message);
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.ended = true;
        this.wake?.();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /**
   * Opens a connection and resolves once it is open.
   * @param options.ca certificate to trust for wss://
   * @param options.answerHeartbeats reply to heartbeats [true]
   */
  static open(url: string, options: { ca?: string | Buffer; answerHeartbeats?: boolean } = {}): Promise<RawConnection> {
    const ws = new WebSocket(url, { ca: options.ca, maxPayload: DEFAULT_PROTOCOL_LIMITS.maxPayloadBytes });
    const conn = new RawConnection(ws, options.answerHeartbeats ?? true);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(conn));
      ws.once('error', reject);
    });
  }

  /** Sends one protocol message (encoded by the protocol package; signed by the session once attached and welcomed). */
  send(message: Message): void {
    if (this.session)
      void this.session.send(message).then(
        (actions) => this.apply(actions),
        (err) => this.errors.push(err as Error),
      );
    else this.ws.send(encodeMessage(message));
  }

  /** Answers `step` through the attached session: the signed result, then a tensor frame per gradient. */
  sendResult(step: StepMessage, result: WorkerResult): void {
    void this.session!.result(step, result).then(
      (actions) => this.apply(actions),
      (err) => this.errors.push(err as Error),
    );
  }

  /** Hands this connection to a protocol session: its actions are applied here and shown to `onAction`. */
  attach(session: WorkerSession, onAction: (a: WorkerAction) => void): void {
    this.session = session;
    this.onAction = onAction;
  }

  /** Applies a session's actions: sends and closes here, everything else to `onAction`. */
  apply(actions: readonly WorkerAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') {
        if (this.ws.readyState === WebSocket.OPEN) this.ws.send(a.bytes);
      } else if (a.kind === 'close') {
        this.ws.close(a.code, a.reason);
      } else {
        this.onAction?.(a);
      }
    }
  }

  /** Sends any bytes as one frame, binary unless told otherwise. */
  sendFrame(data: Uint8Array | string, binary = typeof data !== 'string'): void {
    // ws reports a failed write on the socket's 'error', which `errors` collects.
    this.ws.send(data, { binary }, () => undefined);
  }

  /**
   * The next message not yet handed out, skipping heartbeats.
   * @throws Error if the connection closes first, or the message is not of type `t`
   */
  async next<T extends MessageType>(t?: T): Promise<Extract<Message, { t: T }>> {
    for (;;) {
      while (this.cursor < this.received.length) {
        const m = this.received[this.cursor++];
        if (m.t === 'heartbeat') continue;
        if (t !== undefined && m.t !== t) throw new Error(`expected a ${t} message, got ${JSON.stringify(summary(m))}`);
        return m as Extract<Message, { t: T }>;
      }
      if (this.ended) {
        const { code, reason } = await this.closed;
        throw new Error(`the connection closed (${code} ${reason}) before a${t ? ` ${t}` : ''} message came`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Messages received besides heartbeats (for assertions on what came before a close). */
  messages(): Message[] {
    return this.received.filter((m) => m.t !== 'heartbeat');
  }

  /** Ends the connection from this side (no-op once closed). */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** A message with its binary fields replaced by their lengths, for error texts. */
function summary(m: Message): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? `<${v.byteLength} bytes>` : v]),
  );
}

/** A hello as the real worker sends it. */
export function hello(backend: string, label: string, version = PROTOCOL_VERSION): Message {
  return { t: 'hello', version, threads: 1, backend, label };
}

export interface FakeWorker {
  readonly conn: RawConnection;
  readonly welcome: WelcomeMessage;
  /** The protocol session that signs for it (to build a frame the test then changes). */
  readonly session: WorkerSession;
}

/**
 * The auth a worker holding `token` would answer `challenge` with, on a connection to `url`
 * (plain ws): for tests that say it themselves, right or wrong.
 */
export async function authFor(
  token: string,
  url: string,
  challenge: ChallengeMessage,
  cnonce: Uint8Array,
): Promise<Message> {
  const dialled = normalizeDialled(url);
  const binding = await bindingDigest({ dialled, coordinatorId: challenge.coordinatorId, certFingerprint: '' });
  return {
    t: 'auth',
    mac: await authMac(await deriveTokenKey(token), challenge.nonce, cnonce, binding),
    cnonce,
    dialled,
  };
}

/**
 * Joins as a worker that knows the token but never fetches the data: the protocol package's
 * WorkerSession says hello, answers the challenge, checks the welcome's MAC, then sends `ready`
 * with the welcome's fingerprint. From then on the coordinator counts it as READY and sends it
 * steps; `conn.send` signs what the test sends, and heartbeats are answered.
 * @throws Error if the coordinator refuses it or cannot prove it knows the token
 */
export async function joinAsFake(
  url: string,
  token: string,
  backend: string,
  label: string,
  ca?: string | Buffer,
  /** Send `ready` after the welcome [true]; without it the fake stays JOINED and may ask for data chunks. */
  sendReady = true,
): Promise<FakeWorker> {
  const conn = await RawConnection.open(url, { ca });
  const session = new WorkerSession({
    tokenKey: await deriveTokenKey(token),
    dialled: normalizeDialled(url),
    threads: 1,
    backend,
    label,
  });
  const welcomed = new Promise<WelcomeMessage>((resolve, reject) =>
    conn.attach(session, (a) => {
      if (a.kind === 'welcome') resolve(a.welcome);
      else if (a.kind === 'refused' || a.kind === 'lost') reject(new Error(a.message));
    }),
  );
  conn.apply(await session.open(conn.certFingerprint));
  await conn.next('challenge');
  const welcome = await welcomed;
  await conn.next('welcome');
  if (sendReady) conn.apply(await session.ready());
  return { conn, welcome, session };
}
