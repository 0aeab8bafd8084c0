/**
 * A worker's chain peer endpoint (`worker --peer-port`): a WebSocket server its predecessor in the
 * chain dials. Each accepted connection is authenticated with the run token (peer-link.ts) and
 * kept by the dialer's worker id, for as many steps as the chain keeps its order; a new link from
 * the same id replaces the old one.
 */
import { createServer, type Server } from 'node:https';
import type { HmacKey } from '@gradswarm/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PeerCertificate } from './peer-tls.js';
import { acceptPeer, PEER_HANDSHAKE_TIMEOUT_MS, PeerLinkError, type PeerLink, type PeerTraffic } from './peer-link.js';

export interface PeerEndpointOptions {
  /** Address to bind [0.0.0.0: peers on other machines dial it]. */
  readonly host?: string;
  /** Port to listen on [0: any free port]. */
  readonly port?: number;
  readonly tokenKey: HmacKey;
  readonly log: (line: string) => void;
  /** Serve wss:// with this certificate (a TLS run); absent: ws://. */
  readonly tls?: PeerCertificate;
}

export class PeerEndpoint {
  private readonly links = new Map<number, PeerLink>();
  private readonly waiting = new Map<number, Array<(link: PeerLink) => void>>();
  private parameterCount = 0;
  /** Bytes of chunk frames over every link this endpoint accepted. */
  readonly traffic: PeerTraffic = { sentBytes: 0, receivedBytes: 0 };

  /** @param server its own server (a worker's); null: connections come from elsewhere (the coordinator's /peer route) */
  private constructor(
    private readonly server: WebSocketServer | null,
    private readonly options: PeerEndpointOptions,
    private readonly https: Server | null = null,
  ) {
    server?.on('connection', (ws: WebSocket) => void this.accept(ws));
  }

  /** An endpoint fed by `accept` (the coordinator's /peer route on its own HTTP server). */
  static forConnections(options: PeerEndpointOptions): PeerEndpoint {
    return new PeerEndpoint(null, options);
  }

  /**
   * Listens on the port.
   * @throws Error with one line naming the port if it cannot be bound
   */
  static async open(options: PeerEndpointOptions): Promise<PeerEndpoint> {
    const host = options.host ?? '0.0.0.0';
    const port = options.port ?? 0;
    const https = options.tls ? createServer({ cert: options.tls.cert, key: options.tls.key }) : null;
    const server = https
      ? new WebSocketServer({ server: https, perMessageDeflate: false, maxPayload: 512 })
      : new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: 512 });
    const listening = https ?? server;
    https?.listen(port, host);
    await new Promise<void>((resolve, reject) => {
      listening.once('listening', () => resolve());
      listening.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `--peer-port ${options.port} is taken on ${host} - help: pick another port, or 0 for any free one`
              : `cannot listen for chain peers on ${host}:${options.port ?? 0}: ${err.message}`,
          ),
        ),
      );
    });
    return new PeerEndpoint(server, options, https);
  }

  /** The SHA-256 of the certificate it serves wss:// with; undefined: it serves ws://. */
  get fingerprint(): string | undefined {
    return this.options.tls?.fingerprint;
  }

  get port(): number {
    const address = this.https ? this.https.address() : this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** The model's parameter count: chunks must fit it (set at each welcome). */
  setParameterCount(P: number): void {
    if (P !== this.parameterCount) for (const link of this.links.values()) link.close(1000, 'the model changed');
    this.parameterCount = P;
  }

  /**
   * The link from predecessor `id`, waiting for it to be dialled.
   * @throws PeerLinkError (blaming `id`) if it does not come within the handshake deadline
   */
  async linkFrom(id: number, timeoutMs = PEER_HANDSHAKE_TIMEOUT_MS * 2): Promise<PeerLink> {
    const have = this.links.get(id);
    if (have?.open) return have;
    return new Promise<PeerLink>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiting.get(id) ?? [];
        this.waiting.set(
          id,
          list.filter((f) => f !== got),
        );
        reject(new PeerLinkError(`worker ${id} did not open its chain link within ${timeoutMs} ms`, id));
      }, timeoutMs);
      const got = (link: PeerLink): void => {
        clearTimeout(timer);
        resolve(link);
      };
      this.waiting.set(id, [...(this.waiting.get(id) ?? []), got]);
    });
  }

  /** Closes the links of an old session (this worker was welcomed again, under a new id). */
  dropLinks(): void {
    for (const link of this.links.values()) link.close(1000, 'a new session');
    this.links.clear();
  }

  async close(): Promise<void> {
    for (const link of this.links.values()) link.close(1001, 'worker stopping');
    this.links.clear();
    const server = this.server;
    if (!server) return;
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const https = this.https;
    if (https) {
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    }
  }

  /** Authenticates a connection a predecessor opened and keeps its link; resolves true if it was kept. */
  async accept(ws: WebSocket): Promise<boolean> {
    if (this.parameterCount === 0) {
      ws.close(1013, 'this worker has not joined a run yet');
      return false;
    }
    let link: PeerLink;
    try {
      link = await acceptPeer(ws, this.options.tokenKey, this.parameterCount, this.traffic);
    } catch (err) {
      this.options.log(`refused a chain peer: ${(err as Error).message}`);
      return false;
    }
    const old = this.links.get(link.remoteId);
    if (old && old !== link && old.open) old.close(1000, 'replaced by a new link');
    this.links.set(link.remoteId, link);
    for (const resolve of this.waiting.get(link.remoteId) ?? []) resolve(link);
    this.waiting.delete(link.remoteId);
    return true;
  }
}
