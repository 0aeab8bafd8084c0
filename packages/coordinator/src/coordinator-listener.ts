/**
 * The coordinator's socket: binds the port and sets up TLS before anything slow happens, so a
 * taken port, an address the machine does not have or a key that does not fit its certificate is
 * one line before the data set loads (issue 16 item 4), not a stack trace after it. What the
 * server answers is added later through `routes` (http-routes.ts), once the model is known (the
 * WebSocket size limit depends on it):
 *
 *   listen(options) ── bound, TLS checked; requests answered from `routes` (empty: 404)
 *        │ CoordinatorServer.start(): routes.get('/status'), routes.upgrade('/'), ref()
 *        ▼
 *   serving ── close(): routes closed, every connection cut, port released
 *
 * Upgrades pass through ConnectionLimits (connection-limits.ts) first. The listener is unref'd
 * until something attaches, so a start that fails in between (bad data) does not keep the
 * process alive.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import type { WebSocket } from 'ws';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import {
  addressKey,
  CONNECTION_LIMIT_HTTP_STATUS,
  ConnectionLimits,
  type ConnectionLimitsOptions,
} from './connection-limits.js';
import { fitConnectionLimits, readOpenFileLimit, type OpenFileLimit } from './fd-limit.js';
import { HttpRoutes, rejectUpgrade } from './http-routes.js';
import { checkTlsMaterial, type TlsMaterial } from './tls-material.js';

export interface ListenOptions extends ConnectionLimitsOptions {
  /** Address to bind ("0.0.0.0": every IPv4 address of the machine). */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** Certificate and key: serve https/wss. */
  readonly tls?: TlsMaterial;
  /** One line per event worth a log line (limits, a failing route handler) [none]. */
  readonly log?: (line: string) => void;
  /** The open-file limit the caps must fit in [readOpenFileLimit()]; null: ignore it. */
  readonly openFileLimit?: OpenFileLimit | null;
  /** Delays and ban after failed authentications (auth-throttle.ts) [its defaults]. */
  readonly authThrottle?: AuthThrottleOptions;
}

/** HTTP status of an upgrade from an address banned after failed authentications. */
export const AUTH_BANNED_HTTP_STATUS = 429;

/** Longest time Node's HTTP server waits for a request's headers [Node's default, 60 s]. */
const MAX_HEADERS_TIMEOUT_MS = 60_000;

export class CoordinatorListener {
  readonly routes: HttpRoutes;
  readonly limits: ConnectionLimits;
  /** Failed authentications per address: the delay of each refusal, and bans. */
  readonly authThrottle: AuthThrottle;
  /** SHA-256 fingerprint of the TLS certificate (null without TLS). */
  readonly certificateFingerprint: string | null;
  private address: AddressInfo | null = null;

  private constructor(
    private readonly server: Server,
    private readonly options: ListenOptions,
    limits: ConnectionLimits,
    routes: HttpRoutes,
    fingerprint: string | null,
  ) {
    this.limits = limits;
    this.authThrottle = new AuthThrottle(options.authThrottle, options.log);
    this.routes = routes;
    this.certificateFingerprint = fingerprint;
  }

  /**
   * Checks the TLS material, binds, and resolves once listening.
   * @throws GradswarmError GS_ERR_TLS for a certificate or key that cannot be used,
   *   GS_ERR_LISTEN when the address cannot be bound (each with a "- help:" hint);
   *   TypeError / RangeError for bad limits
   */
  static async open(options: ListenOptions): Promise<CoordinatorListener> {
    const log = options.log ?? (() => undefined);
    const fitted = fitConnectionLimits(
      options,
      options.openFileLimit === undefined ? readOpenFileLimit() : options.openFileLimit,
    );
    if (fitted.warning) log(fitted.warning);
    const limits = new ConnectionLimits(fitted.options, log);
    const fingerprint = options.tls ? checkTlsMaterial(options.tls) : null;
    const routes = new HttpRoutes(log);
    const handshakeMs = fitted.options.handshakeTimeoutMs;
    // A socket that never finishes its request (or its TLS handshake) is cut at the same
    // deadline as a WebSocket that never authenticates.
    const headersTimeout = Math.min(MAX_HEADERS_TIMEOUT_MS, handshakeMs);
    const serverOptions = {
      headersTimeout,
      connectionsCheckingInterval: Math.min(30_000, Math.max(1000, headersTimeout / 2)),
    };
    const handler = routes.handleRequest.bind(routes);
    const server = options.tls
      ? createHttpsServer(
          {
            ...serverOptions,
            cert: options.tls.cert,
            key: options.tls.key,
            handshakeTimeout: Math.min(120_000, handshakeMs),
          },
          handler,
        )
      : createHttpServer(serverOptions, handler);
    const listener = new CoordinatorListener(server, options, limits, routes, fingerprint);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => listener.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, options.host, options.port));
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    listener.address = server.address() as AddressInfo;
    server.unref();
    return listener;
  }

  /** The bound port. */
  get port(): number {
    return this.address?.port ?? this.options.port;
  }

  /** The host it was asked to listen on (a worker on plain ws must dial an address of this machine). */
  get host(): string {
    return this.options.host;
  }

  /** Whether this listener serves TLS (https/wss). */
  get tls(): boolean {
    return this.options.tls !== undefined;
  }

  /** ws:// or wss:// URL workers connect to. */
  url(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '<this-host>' : this.options.host;
    return `${this.tls ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** A connection authenticated: no deadline, no longer counted against the caps. */
  admit(ws: WebSocket): void {
    this.limits.admit(ws);
  }

  /** Keeps the process alive while listening (once a server serves on it). */
  ref(): void {
    this.server.ref();
  }

  /** Closes the routes' WebSocket servers, cuts every connection and releases the port. */
  async close(): Promise<void> {
    this.limits.close();
    await this.routes.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = this.routes.upgradeRoute(req);
    if (!route) {
      rejectUpgrade(socket, 404, 'Not Found', { error: `no WebSocket endpoint at ${req.url ?? ''}` });
      return;
    }
    if (route.handshake) {
      const address = addressKey(req.socket.remoteAddress);
      const banned = this.authThrottle.refusal(address);
      if (banned !== null) {
        rejectUpgrade(
          socket,
          AUTH_BANNED_HTTP_STATUS,
          'Too Many Requests',
          { error: banned, code: ErrorCode.AUTH_BANNED },
          { 'Retry-After': String(this.authThrottle.retryAfterSeconds(address)) },
        );
        return;
      }
      const refusal = this.limits.refusal(address);
      if (refusal !== null) {
        rejectUpgrade(
          socket,
          CONNECTION_LIMIT_HTTP_STATUS,
          'Service Unavailable',
          { error: refusal, code: ErrorCode.CONNECTION_LIMIT },
          { 'Retry-After': '5' },
        );
        return;
      }
      this.limits.track(socket, address, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`);
    }
    route.wss.handleUpgrade(req, socket, head, (ws) => {
      if (route.handshake) this.limits.attach(socket, ws);
      route.wss.emit('connection', ws, req);
    });
  }
}

/** Binds `options.host:options.port` (see CoordinatorListener.open). */
export function listen(options: ListenOptions): Promise<CoordinatorListener> {
  return CoordinatorListener.open(options);
}

/** One line for a failed bind, with what to do about it. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): GradswarmError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const say = (text: string): GradswarmError =>
    new GradswarmError(ErrorCode.LISTEN, `cannot listen on ${where}: ${text}`, { cause: err });
  switch (err.code) {
    case 'EADDRINUSE':
      return say(
        'the port is in use (another coordinator?) - help: stop the other process, choose another --port, or --port 0 to pick a free one',
      );
    case 'EADDRNOTAVAIL':
      return say(
        `${host} is not an address of this machine (it has ${machineAddresses().join(', ')}) - help: use one of those with --host, or --host 0.0.0.0 for all of them`,
      );
    case 'EACCES':
      return say(
        'permission denied (ports below 1024 need privileges) - help: choose a --port above 1023, or --port 0 to pick a free one',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return say(
        `the host name ${host} does not resolve - help: give --host an address of this machine (${machineAddresses().join(', ')}), or 0.0.0.0 for all of them`,
      );
    case 'EAFNOSUPPORT':
      return say('this machine has no IPv6 - help: give --host an IPv4 address, e.g. 127.0.0.1 or 0.0.0.0');
    default:
      return say(`${err.message}${err.code ? '' : ' (no error code)'}`);
  }
}

/** This machine's IPv4 addresses, then its IPv6 ones (what --host may name). */
function machineAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return [
    ...all.filter((a) => a.family === 'IPv4'),
    ...all.filter((a) => a.family === 'IPv6' && !a.address.startsWith('fe80')),
  ].map((a) => a.address);
}
