/**
 * The coordinator's network side, attached to a listener (coordinator-listener.ts) once the model
 * is known: it routes `GET /status` (JSON, status-document.ts) and WebSocket upgrades on `/` from
 * workers. Each connection is driven by the protocol package's CoordinatorSession
 * (AWAIT_HELLO → AWAIT_AUTH → JOINED → READY): this file only moves frames in and applies the
 * actions the session returns. Every frame is size-limited by ws (maxPayload); a bad frame, a
 * wrong token or version, or a message out of turn closes that connection with the code and
 * reason the session chose, logs one line, and the run goes on unharmed.
 */
import type { IncomingMessage } from 'node:http';
import { peerText, type ModelSpec } from '@gradswarm/core';
import {
  CLOSE_NORMAL,
  CLOSE_PEER_ERROR,
  CoordinatorSession,
  CoordinatorState,
  createCoordinatorId,
  deriveTokenKey,
  handshakeLimits,
  normalizeFingerprint,
  PEER_HANDSHAKE_MAX_BYTES,
  PEER_PATH,
  PROTOCOL_ERRORS,
  ProtocolErrorCode,
  type CoordinatorAction,
  type HmacKey,
  type ProtocolErrorCodeValue,
  type ProtocolLimits,
  type WireDatasetDescriptor,
  type WirePrecision,
  type WireTrainingConfig,
} from '@gradswarm/protocol';
import { frameLimit, PeerEndpoint, setFrameLimit } from '@gradswarm/worker/node';
import type { WebSocket } from 'ws';
import { addressKey } from './connection-limits.js';
import type { CoordinatorListener } from './coordinator-listener.js';
import { sendJson, type RemoveRoute } from './http-routes.js';
import type { Membership } from './membership.js';
import { isOwnAddress } from './own-address.js';
import { RemoteWorker } from './remote-worker.js';
import { SendQueue } from './send-queue.js';
import type { StatusDocument } from './status-document.js';

export interface CoordinatorServerOptions {
  /** The bound socket (listen()); the server adds its routes to it and closes it at the end. */
  readonly listener: CoordinatorListener;
  readonly token: string;
  readonly spec: ModelSpec;
  readonly parameterCount: number;
  readonly config: WireTrainingConfig;
  readonly dataset: { readonly bytes: Uint8Array; readonly descriptor: WireDatasetDescriptor };
  readonly limits: ProtocolLimits;
  readonly membership: Membership;
  readonly stepTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** When set (reproducible mode), workers must use this kernel backend. */
  readonly requireBackend?: string;
  /** How tensors travel (`--wire-precision`): the weights, and the gradients asked for [both f32]. */
  readonly wire?: { readonly weights: WirePrecision; readonly results: WirePrecision };
  /** `gradswarm launch`: the job's world size, checked against each worker's hello. */
  readonly worldSize?: number;
  /** Names of this machine beyond its own (isOwnAddress), e.g. launch's rendezvous host. */
  readonly ownHosts?: readonly string[];
  readonly chunkBytes: number;
  /** The body of GET /status. */
  readonly status: () => StatusDocument;
  readonly log: (line: string) => void;
}

/** Path workers connect to (ws://host:port/). */
export const WORKER_PATH = '/';

export class CoordinatorServer {
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<WebSocket, CoordinatorSession>();
  /** Every send goes through its connection's queue: sent as the peer drains (send-queue.ts). */
  private readonly queues = new Map<WebSocket, SendQueue>();
  /** Names this process in every challenge (part of the connection binding). */
  private readonly coordinatorId = createCoordinatorId();
  private tokenKey: HmacKey | null = null;
  private readonly removeRoutes: RemoveRoute[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  /** Bytes of WebSocket messages sent to and received from workers since the start. */
  readonly traffic = { sentBytes: 0, receivedBytes: 0 };
  /** Chain peer links from the last worker of each chain (the `/peer` path); null until start(). */
  peers: PeerEndpoint | null = null;
  /** Set by close(): departures are then the run's end, not news. */
  private closing = false;

  constructor(private readonly options: CoordinatorServerOptions) {}

  /**
   * Adds GET /status and the workers' WebSocket path to the listener's routes and starts the
   * heartbeat; resolves with the bound port.
   * @throws RangeError if those routes are taken on the listener
   */
  async start(): Promise<number> {
    const { listener } = this.options;
    // scrypt once per process, before the first connection can need it.
    this.tokenKey = await deriveTokenKey(this.options.token);
    this.removeRoutes.push(
      listener.routes.get('/status', (_req, res) => sendJson(res, 200, this.options.status())),
      // A connection starts with the handshake's small frame limit; it is raised to the
      // model-sized one per connection once the worker has authenticated (frame-limit.ts).
      listener.routes.upgrade(
        WORKER_PATH,
        { maxPayloadBytes: handshakeLimits(this.options.limits).maxPayloadBytes },
        (ws, req) => this.onConnection(ws, req),
      ),
    );
    // The last worker of a chain dials /peer and authenticates with the run token (peer-link.ts);
    // under TLS it is this listener's wss://, trusted as the worker trusts the coordinator.
    {
      const peers = PeerEndpoint.forConnections({ tokenKey: this.tokenKey, log: this.options.log });
      peers.setParameterCount(this.options.parameterCount);
      this.peers = peers;
      this.removeRoutes.push(
        listener.routes.upgrade(PEER_PATH, { maxPayloadBytes: PEER_HANDSHAKE_MAX_BYTES }, (ws) => {
          void peers.accept(ws).then((kept) => kept && listener.admit(ws));
        }),
      );
    }
    listener.ref();
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
    return listener.port;
  }

  /** ws:// or wss:// URL workers connect to. */
  url(): string {
    return this.options.listener.url();
  }

  /** SHA-256 of our TLS certificate (lowercase hex, '' on plain ws), bound into every handshake. */
  get certFingerprint(): string {
    return normalizeFingerprint(this.options.listener.certificateFingerprint ?? '');
  }

  /** Connections open now that have not authenticated. */
  get unauthenticatedConnections(): number {
    return this.options.listener.limits.unauthenticated;
  }

  /** Tells every worker why the run ends and closes the server. */
  async close(reason: 'finished' | string): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.closing = true;
    const closed = [...this.sockets].map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          const session = this.sessions.get(ws);
          if (!session) return closeQuietly(ws, CLOSE_NORMAL, 'run finished');
          session.leave(reason, reason === 'finished' ? 'run finished' : reason).then(
            (actions) => {
              for (const a of actions) {
                if (a.kind === 'send') this.queues.get(ws)?.send(a.bytes);
                else if (a.kind === 'close') closeQuietly(ws, a.code, a.reason);
              }
            },
            () => ws.terminate(),
          );
        }),
    );
    // Give the close handshakes a moment, then cut whatever is left.
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    for (const ws of this.sockets) ws.terminate();
    for (const remove of this.removeRoutes.splice(0)) remove();
    await this.peers?.close();
    await this.options.listener.close();
  }

  private listenerIsTls(): boolean {
    return this.options.listener.url().startsWith('wss:');
  }

  private beat(): void {
    const now = Date.now();
    for (const worker of this.options.membership.ready()) {
      if (now - worker.lastSeenMs > 3 * this.options.heartbeatIntervalMs) {
        worker.drop(ProtocolErrorCode.SILENT, `no heartbeat for ${Math.round((now - worker.lastSeenMs) / 1000)} s`);
      }
    }
    for (const [ws, session] of this.sessions) {
      void session.heartbeat(now).then((actions) => {
        for (const a of actions) {
          if (a.kind !== 'send' || ws.readyState !== ws.OPEN) continue;
          this.traffic.sentBytes += a.bytes.byteLength;
          this.queues.get(ws)?.send(a.bytes);
        }
      });
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const o = this.options;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    // A worker behind a cut link sends no FIN; keepalive probes find out even between heartbeats.
    req.socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    this.sockets.add(ws);
    const session = new CoordinatorSession({
      tokenKey: this.tokenKey!,
      coordinatorId: this.coordinatorId,
      certFingerprint: this.certFingerprint,
      limits: o.limits,
      parameterCount: o.parameterCount,
      offer: {
        spec: o.spec,
        config: o.config,
        dataset: o.dataset.descriptor,
        chunkBytes: o.chunkBytes,
        heartbeatMs: o.heartbeatIntervalMs,
      },
      dataset: o.dataset.bytes,
      requireBackend: o.requireBackend,
      worldSize: o.worldSize,
      isOwnAddress: (dialled) =>
        isOwnAddress(dialled, o.listener.port, [o.listener.host, req.socket.localAddress ?? '', ...(o.ownHosts ?? [])]),
      allocateId: () => o.membership.allocateId(),
      wirePrecision: o.wire?.weights,
    });
    this.sessions.set(ws, session);
    let worker: RemoteWorker | null = null;
    const out = new SendQueue(ws, {
      ...sendBounds(o.parameterCount, o.chunkBytes),
      drainDeadlineMs: 3 * o.heartbeatIntervalMs,
      // A close frame would wait behind what the peer does not read: the socket is cut.
      onStuck: (reason) => {
        const code = PROTOCOL_ERRORS[ProtocolErrorCode.NOT_READING].closeCode;
        o.log(`dropped ${worker ? worker.label : peer} (${ProtocolErrorCode.NOT_READING}, ${code}): ${reason}`);
        ended = true;
        session.closed();
        if (worker) o.membership.departed(worker, 'DROPPED', reason, true);
        ws.terminate();
      },
    });
    this.queues.set(ws, out);
    /** Set once the connection's end has been told to the membership (or needs not be). */
    let ended = false;
    /** The last frame's processing: a close waits for it, so a `leave` just before is read first. */
    let inbox: Promise<void> = Promise.resolve();
    const apply = (actions: readonly CoordinatorAction[]): void => {
      for (const a of actions) {
        switch (a.kind) {
          case 'send':
            if (ws.readyState !== ws.OPEN) break;
            this.traffic.sentBytes += a.bytes.byteLength;
            out.send(a.bytes);
            break;
          case 'close':
            ended = true;
            closeQuietly(ws, a.code, a.reason);
            break;
          case 'refused':
            o.log(`refused ${worker ? worker.label : peer}: ${peerText(a.reason)}`); // it may quote the peer's text
            ended = true;
            if (worker) o.membership.departed(worker, 'DROPPED', a.reason, true);
            break;
          case 'joined': {
            o.listener.admit(ws); // authenticated: no handshake deadline from here on
            setFrameLimit(ws, o.limits.maxPayloadBytes); // before the welcome goes out
            const id = a.workerId;
            const link = {
              sendStep: (step: Parameters<CoordinatorSession['sendStep']>[0]) =>
                void session.sendStep(step).then(apply, fail),
              close: (code: ProtocolErrorCodeValue, reason: string) =>
                void session.drop(code, reason).then(apply, fail),
              abandon: () => void session.abandon().then(apply, fail),
              dropped: (reason: string) => {
                o.log(`worker ${id} dropped: ${reason}; ${Math.max(0, o.membership.ready().length - 1)} ready`);
                if (worker) o.membership.dropping(worker, reason);
              },
            };
            // The label and backend are the worker's own words: escaped once here for every log line and /status.
            worker = new RemoteWorker(
              id,
              peerText(a.hello.label) || peer,
              a.hello.threads,
              peerText(a.hello.backend),
              link,
              o.stepTimeoutMs,
              o.wire,
            );
            worker.agent = a.hello.agent ?? 'node';
            break;
          }
          case 'admit':
            // A frame ws refused (1009) may end the connection while the session still works on `ready`:
            // a worker that is gone must not be admitted after its departure.
            if (ended) break;
            if (a.peer) {
              const tls = this.listenerIsTls();
              // Under TLS a worker that did not say which certificate its endpoint has cannot be
              // dialled safely: the star serves it (an older worker, or one that could not make one).
              if (!tls || a.peer.fingerprint) {
                worker!.peerUrl = peerUrl(a.peer.host ?? req.socket.remoteAddress ?? '', a.peer.port, tls);
                worker!.peerFingerprint = a.peer.fingerprint ?? null;
              }
            }
            o.membership.admit(worker!);
            break;
          case 'alive':
            worker?.alive();
            break;
          case 'gradient':
            worker?.onGradient(a.index, a.tensor);
            break;
          case 'result':
            worker?.onResult(a.result);
            break;
          case 'rejected':
            worker?.rejected(a.error);
            break;
          case 'left':
            ended = true;
            if (worker) o.membership.departed(worker, 'LEFT', peerText(a.reason));
            break;
          case 'worker-error':
            ended = true;
            if (worker)
              o.membership.departed(worker, 'DROPPED', `it reported ${peerText(a.code)}: ${peerText(a.message)}`);
            break;
        }
      }
    };
    // A failed authentication is answered late, later for each failure in a row from the same
    // address, and bans the address after a few (auth-throttle.ts, issue 17 item 5).
    const applyThrottled = (actions: readonly CoordinatorAction[]): void => {
      const failedAuth =
        worker === null && actions.some((a) => a.kind === 'refused' && a.code === ProtocolErrorCode.AUTH);
      if (!failedAuth) {
        apply(actions);
        return;
      }
      const delayMs = o.listener.authThrottle.failed(addressKey(req.socket.remoteAddress));
      setTimeout(() => apply(actions), delayMs).unref();
    };
    // A session never rejects for bad input (that is a refusal); anything else is a bug, and it
    // ends this one connection, never the run.
    const fail = (err: unknown): void => {
      o.log(`refused ${worker ? worker.label : peer}: internal error: ${(err as Error)?.message ?? String(err)}`);
      ended = true;
      session.closed();
      if (worker) o.membership.departed(worker, 'DROPPED', 'internal error', true);
      closeQuietly(ws, CLOSE_PEER_ERROR, 'internal error');
    };
    ws.on('error', (err: Error & { code?: string }) => {
      // ws reports oversize frames here (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and closes with 1009.
      const reason =
        err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
          ? `a frame above the ${frameLimit(ws) ?? o.limits.maxPayloadBytes}-byte limit${worker ? '' : ' before authentication'}`
          : err.message;
      o.log(`refused ${worker ? worker.label : peer}: ${reason}`);
      if (worker) o.membership.departed(worker, 'DROPPED', reason, true);
      ended = true;
      session.closed();
    });
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      this.sessions.delete(ws);
      this.queues.delete(ws);
      out.clear();
      // After every frame before the close was read: a `leave` just before it says why.
      void inbox.then(() => {
        const state = session.state;
        session.closed();
        if (this.closing || ended) return;
        ended = true;
        const why = `connection closed (${code}${reason.length ? ` ${peerText(reason.toString())}` : ''})`;
        if (worker && state === CoordinatorState.JOINED)
          o.log(`${worker.label} (${worker.name}) left before it was ready: ${why}`);
        if (worker) o.membership.departed(worker, 'LEFT', why);
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.traffic.receivedBytes += data.byteLength;
      inbox = session
        .receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary)
        .then(applyThrottled, fail);
    });
  }
}

/**
 * What may wait for one peer: ws's own buffer up to one step's weights (4 bytes a parameter) and
 * a few chunks, and behind it as much again. An honest worker has one step or one chunk request
 * outstanding, so only a peer that asks without reading ever meets the bound.
 */
export function sendBounds(
  parameterCount: number,
  chunkBytes: number,
): { highWaterBytes: number; maxQueuedBytes: number } {
  const bytes = 4 * parameterCount + 4 * chunkBytes + SEND_SLACK_BYTES;
  return { highWaterBytes: bytes, maxQueuedBytes: bytes };
}

/** Room for heartbeats and message headers on top of the weights and chunks. */
const SEND_SLACK_BYTES = 1 << 20;

/** TCP keepalive idle time on every worker connection. */
const TCP_KEEPALIVE_MS = 10_000;

/** ws.close that can never throw (a bad code or a long reason is the session's to prevent, but a run must not die of one). */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
  }
}

/** The ws:// (wss:// under TLS) URL of a worker's chain peer endpoint (IPv6 in brackets; IPv4-mapped addresses as IPv4). */
function peerUrl(host: string, port: number, tls: boolean): string {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return `${tls ? 'wss' : 'ws'}://${h.includes(':') ? `[${h}]` : h}:${port}/`;
}
