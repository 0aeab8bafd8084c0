/**
 * The coordinator's network side, attached to a listener (coordinator-listener.ts) once the model
 * is known: it routes `GET /status` (JSON, status-document.ts) and WebSocket upgrades on `/` from
 * workers. Each connection walks
 *   AWAIT_HELLO → AWAIT_AUTH → JOINED (welcomed; may download the data set) → READY
 * Every frame is size-limited by ws (maxPayload), decoded and validated by the protocol package;
 * a bad frame, a wrong token or version, or a message out of turn closes that connection with a
 * code and a reason, logs one line, and the run goes on unharmed.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode, type ModelSpec } from '@gradswarm/core';
import {
  authMac,
  createNonce,
  decodeMessage,
  encodeMessage,
  ProtocolError,
  verifyMac,
  welcomeMac,
  type Message,
  type ProtocolLimits,
  type WireDatasetDescriptor,
  type WireTrainingConfig,
} from '@gradswarm/protocol';
import type { WebSocket } from 'ws';
import type { CoordinatorListener } from './coordinator-listener.js';
import { sendJson, type RemoveRoute } from './http-routes.js';
import type { Membership } from './membership.js';
import { RemoteWorker } from './remote-worker.js';
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
  readonly chunkBytes: number;
  /** The body of GET /status. */
  readonly status: () => StatusDocument;
  readonly log: (line: string) => void;
}

type Phase = 'AWAIT_HELLO' | 'AWAIT_AUTH' | 'JOINED' | 'READY' | 'CLOSED';

/** Path workers connect to (ws://host:port/). */
export const WORKER_PATH = '/';

export class CoordinatorServer {
  private readonly sockets = new Set<WebSocket>();
  private readonly removeRoutes: RemoveRoute[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  /** Bytes of WebSocket messages sent to and received from workers since the start. */
  readonly traffic = { sentBytes: 0, receivedBytes: 0 };
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
    this.removeRoutes.push(
      listener.routes.get('/status', (_req, res) => sendJson(res, 200, this.options.status())),
      listener.routes.upgrade(WORKER_PATH, { maxPayloadBytes: this.options.limits.maxPayloadBytes }, (ws, req) => this.onConnection(ws, req)),
    );
    listener.ref();
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
    return listener.port;
  }

  /** ws:// or wss:// URL workers connect to. */
  url(): string {
    return this.options.listener.url();
  }

  /** Connections open now that have not authenticated. */
  get unauthenticatedConnections(): number {
    return this.options.listener.limits.unauthenticated;
  }

  /** Tells every worker why the run ends and closes the server. */
  async close(reason: 'finished' | string): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.closing = true;
    const closed = [...this.sockets].map((ws) => new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      try {
        ws.send(encodeMessage({ t: 'leave', reason }));
        ws.close(1000, reason === 'finished' ? 'run finished' : reason.slice(0, 120));
      } catch {
        ws.terminate();
      }
    }));
    // Give the close handshakes a moment, then cut whatever is left.
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    for (const ws of this.sockets) ws.terminate();
    for (const remove of this.removeRoutes.splice(0)) remove();
    await this.options.listener.close();
  }

  private beat(): void {
    const now = Date.now();
    for (const worker of this.options.membership.ready()) {
      if (now - worker.lastSeenMs > 3 * this.options.heartbeatIntervalMs) {
        worker.drop(4007, `no heartbeat for ${Math.round((now - worker.lastSeenMs) / 1000)} s`);
      }
    }
    const beat = encodeMessage({ t: 'heartbeat', timeMs: now });
    for (const ws of this.sockets) {
      this.traffic.sentBytes += beat.length;
      ws.send(beat);
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const o = this.options;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.sockets.add(ws);
    let phase: Phase = 'AWAIT_HELLO';
    let nonce: Uint8Array | null = null;
    let hello: Extract<Message, { t: 'hello' }> | null = null;
    let worker: RemoteWorker | null = null;
    const send = (m: Message): void => {
      if (ws.readyState !== ws.OPEN) return;
      const bytes = encodeMessage(m);
      this.traffic.sentBytes += bytes.length;
      ws.send(bytes);
    };
    const refuse = (code: string, closeCode: number, reason: string): void => {
      o.log(`refused ${worker ? worker.label : peer}: ${reason}`);
      send({ t: 'error', code, message: reason });
      phase = 'CLOSED';
      ws.close(closeCode, reason.slice(0, 120));
      if (worker) o.membership.departed(worker, 'DROPPED', reason, true);
    };
    ws.on('error', (err: Error & { code?: string }) => {
      // ws reports oversize frames here (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and closes with 1009.
      const reason = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? `a frame above the ${o.limits.maxPayloadBytes}-byte limit` : err.message;
      o.log(`refused ${worker ? worker.label : peer}: ${reason}`);
      if (worker) o.membership.departed(worker, 'DROPPED', reason, true);
      phase = 'CLOSED';
    });
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      if (this.closing) {
        phase = 'CLOSED';
        return;
      }
      const why = `connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      if (worker && phase === 'JOINED') o.log(`${worker.label} (${worker.name}) left before it was ready: ${why}`);
      if (worker && phase !== 'CLOSED') o.membership.departed(worker, 'LEFT', why);
      phase = 'CLOSED';
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (phase === 'CLOSED') return;
      this.traffic.receivedBytes += data.byteLength;
      let message: Message;
      try {
        if (!isBinary) throw new ProtocolError('GS_ERR_PROTOCOL_MALFORMED', 'a text frame; messages are binary msgpack');
        message = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), o.limits, { parameterCount: o.parameterCount });
      } catch (err) {
        const e = err as ProtocolError;
        refuse(e.code ?? 'GS_ERR_PROTOCOL_MALFORMED', e.closeCode ?? 1002, e.message);
        return;
      }
      switch (phase) {
        case 'AWAIT_HELLO':
          if (message.t !== 'hello') return refuse('GS_ERR_PROTOCOL_UNEXPECTED', 4005, `expected hello first, got ${message.t}`);
          hello = message;
          nonce = createNonce();
          phase = 'AWAIT_AUTH';
          return send({ t: 'challenge', nonce });
        case 'AWAIT_AUTH': {
          if (message.t !== 'auth') return refuse('GS_ERR_PROTOCOL_UNEXPECTED', 4005, `expected auth, got ${message.t}`);
          if (!verifyMac(authMac(o.token, nonce!, message.cnonce), message.mac)) return refuse('GS_ERR_AUTH', 1008, 'wrong token');
          if (o.requireBackend !== undefined && hello!.backend !== o.requireBackend) {
            return refuse(ErrorCode.BACKEND_MISMATCH, 1008, `reproducible mode needs kernel backend ${o.requireBackend} everywhere; this worker uses ${hello!.backend} - help: start it with GRADSWARM_KERNEL=${o.requireBackend}`);
          }
          const id = o.membership.allocateId();
          const link = {
            send,
            close: (code: number, reason: string) => ((phase = 'CLOSED'), ws.close(code, reason)),
            dropped: (reason: string) => o.log(`worker ${id} dropped: ${reason}; ${Math.max(0, o.membership.ready().length - 1)} ready`),
          };
          worker = new RemoteWorker(id, hello!.label || peer, hello!.threads, hello!.backend, link, o.stepTimeoutMs);
          phase = 'JOINED';
          o.listener.admit(ws); // authenticated: no handshake deadline from here on
          return send({ t: 'welcome', mac: welcomeMac(o.token, nonce!, message.cnonce), workerId: id, spec: o.spec, config: o.config, dataset: o.dataset.descriptor, chunkBytes: o.chunkBytes });
        }
        case 'JOINED':
          if (message.t === 'data-request') {
            const { offset, length } = message;
            const total = o.dataset.bytes.length;
            if (message.fingerprint !== o.dataset.descriptor.fingerprint || offset + length > total || length > o.chunkBytes) {
              return refuse('GS_ERR_PROTOCOL_INVALID', 4002, `data-request for ${length} bytes at ${offset} is outside the data set (${total} bytes, chunks of ${o.chunkBytes})`);
            }
            return send({ t: 'data-chunk', fingerprint: message.fingerprint, offset, bytes: o.dataset.bytes.subarray(offset, offset + length) });
          }
          if (message.t === 'ready') {
            if (message.fingerprint !== o.dataset.descriptor.fingerprint) return refuse('GS_ERR_PROTOCOL_INVALID', 4002, 'ready for another data set');
            phase = 'READY';
            return o.membership.admit(worker!);
          }
          if (message.t === 'heartbeat') return void worker!.handle(message);
          return refuse('GS_ERR_PROTOCOL_UNEXPECTED', 4005, `unexpected ${message.t} before ready`);
        case 'READY':
          worker!.handle(message);
          if (message.t === 'result' || message.t === 'heartbeat') return;
          if (message.t === 'leave') {
            phase = 'CLOSED';
            o.membership.departed(worker!, 'LEFT', message.reason);
            ws.close(1000, 'bye');
            return;
          }
          if (message.t === 'error') {
            phase = 'CLOSED';
            o.membership.departed(worker!, 'DROPPED', `it reported ${message.code}: ${message.message}`);
            ws.close(1011, 'worker error');
            return;
          }
          return refuse('GS_ERR_PROTOCOL_UNEXPECTED', 4005, `unexpected ${message.t} from a ready worker`);
        default:
          return;
      }
    });
  }
}
