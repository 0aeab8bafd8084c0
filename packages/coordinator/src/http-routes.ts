/**
 * The coordinator's HTTP surface as a table: plain HTTP routes (`GET /status`, later a dashboard
 * `/`, `/metrics`, `/join`) and path-routed WebSocket upgrades (workers on `/`, later a peer path),
 * each added by whoever owns it, so the server never has to be edited for a new one. Paths match
 * exactly (the query string is ignored); a path may have HTTP routes and an upgrade at once.
 *
 * Each upgrade path has its own ws `WebSocketServer` (noServer: true), as ws's "multiple servers
 * sharing a single HTTP server" example does, so each path has its own `maxPayload`.
 *
 * Answers the table gives by itself: 404 JSON naming the GET routes for an unknown path, 405 with
 * `Allow` for a known path and another method, 500 JSON when a handler throws (logged), and an
 * HTTP 404 written on the socket for an upgrade to a path with no upgrade route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** Answers one HTTP request; `url` is parsed from `req.url` (its query string included). */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** Takes over one upgraded WebSocket connection. */
export type UpgradeHandler = (ws: WebSocket, req: IncomingMessage) => void;

/** Methods an HTTP route may answer. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';

export interface UpgradeRouteOptions {
  /** Largest WebSocket message accepted on this path, in bytes (ws `maxPayload`). */
  readonly maxPayloadBytes: number;
  /**
   * Whether connections on this path start unauthenticated [true]: they count against the
   * listener's caps and are closed at the handshake deadline unless the handler calls
   * `listener.admit(ws)` first (see connection-limits.ts). false: no deadline and no cap.
   */
  readonly handshake?: boolean;
}

/** One upgrade path, as the listener dispatches to it. */
export interface UpgradeRoute {
  readonly path: string;
  readonly handshake: boolean;
  readonly wss: WebSocketServer;
  readonly handler: UpgradeHandler;
}

/** Removes the route it was returned for. */
export type RemoveRoute = () => void;

function checkPath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#')) {
    throw new RangeError(`path must start with "/" and hold no query or fragment, got ${JSON.stringify(path)}`);
  }
}

/** Writes a JSON reply (the coordinator's HTTP answers are all JSON). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * Ends an upgrade request with a plain HTTP reply written on the socket (there is no
 * ServerResponse for an upgrade), as ws's `abortHandshake` does.
 */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  statusText: string,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = `${JSON.stringify(body)}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${statusText}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(json)}`,
  ];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.once('finish', () => socket.destroy());
  socket.once('error', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${json}`);
}

export class HttpRoutes {
  private readonly http = new Map<string, Map<HttpMethod, HttpHandler>>();
  private readonly upgrades = new Map<string, UpgradeRoute>();

  /** @param log one line per handler that threw */
  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /**
   * Answers `method` on `path`.
   * @returns a function that removes the route
   * @throws RangeError for a path that does not start with "/", or one already routed for `method`
   */
  route(method: HttpMethod, path: string, handler: HttpHandler): RemoveRoute {
    checkPath(path);
    const methods = this.http.get(path) ?? new Map<HttpMethod, HttpHandler>();
    if (methods.has(method)) throw new RangeError(`${method} ${path} is already routed`);
    methods.set(method, handler);
    this.http.set(path, methods);
    return () => {
      if (methods.get(method) !== handler) return;
      methods.delete(method);
      if (methods.size === 0) this.http.delete(path);
    };
  }

  /** Answers GET (and HEAD, with the same handler; Node drops the body) on `path`. @see route */
  get(path: string, handler: HttpHandler): RemoveRoute {
    const removeGet = this.route('GET', path, handler);
    const removeHead = this.route('HEAD', path, handler);
    return () => {
      removeGet();
      removeHead();
    };
  }

  /**
   * Accepts WebSocket upgrades on `path` and hands each connection to `handler`.
   * @returns a function that removes the route and closes its connections
   * @throws RangeError for a bad path, one that already has an upgrade route, or a bad maxPayloadBytes
   */
  upgrade(path: string, options: UpgradeRouteOptions, handler: UpgradeHandler): RemoveRoute {
    checkPath(path);
    if (this.upgrades.has(path)) throw new RangeError(`WebSocket upgrades on ${path} are already routed`);
    if (!Number.isInteger(options.maxPayloadBytes) || options.maxPayloadBytes < 1) {
      throw new RangeError(`options.maxPayloadBytes must be a positive integer, got ${options.maxPayloadBytes}`);
    }
    const route: UpgradeRoute = {
      path,
      handshake: options.handshake ?? true,
      // Float bytes do not compress, and deflate would copy every tensor frame twice.
      wss: new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false }),
      handler,
    };
    route.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      // ws throws an 'error' nobody listens to (an oversize frame, a bad opcode) out of its
      // parser: a handler that forgot to listen must not let one peer end the process.
      ws.on('error', (err) => {
        if (ws.listenerCount('error') === 1) this.log(`WebSocket on ${path}: ${err.message}`);
      });
      handler(ws, req);
    });
    this.upgrades.set(path, route);
    return () => {
      if (this.upgrades.get(path) !== route) return;
      this.upgrades.delete(path);
      closeServer(route.wss);
    };
  }

  /** The upgrade route for a request's path, if any. */
  upgradeRoute(req: IncomingMessage): UpgradeRoute | undefined {
    const url = parseUrl(req);
    return url ? this.upgrades.get(url.pathname) : undefined;
  }

  /** Answers one request from the table (404 / 405 / 500 as described at the top). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = parseUrl(req);
    if (!url) {
      sendJson(res, 400, { error: 'the request target is not a path' });
      return;
    }
    const methods = this.http.get(url.pathname);
    const handler = methods?.get(req.method as HttpMethod);
    if (!methods || !handler) {
      if (methods) {
        sendJson(
          res,
          405,
          { error: `${req.method} is not allowed on ${url.pathname}` },
          { allow: [...methods.keys()].join(', ') },
        );
        return;
      }
      const gets = [...this.http].filter(([, m]) => m.has('GET')).map(([path]) => `GET ${path}`);
      sendJson(res, 404, { error: gets.length > 0 ? `not found; try ${gets.join(', ')}` : 'not found' });
      return;
    }
    const failed = (err: unknown): void => {
      this.log(`${req.method} ${url.pathname} failed: ${(err as Error)?.message ?? String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    };
    try {
      const done = handler(req, res, url);
      if (done instanceof Promise) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  /** Closes every upgrade path's WebSocket server (their connections are the owners' to end). */
  async close(): Promise<void> {
    const servers = [...this.upgrades.values()].map((r) => r.wss);
    this.upgrades.clear();
    this.http.clear();
    await Promise.all(servers.map(closeServer));
  }
}

function closeServer(wss: WebSocketServer): Promise<void> {
  return new Promise((resolve) => wss.close(() => resolve()));
}

/** The request target as a URL; null for one that is not a path ("*", an absolute URL, garbage). */
function parseUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '';
  if (!target.startsWith('/')) return null;
  try {
    // Prefixed, not resolved against a base: "//x" must stay the path "//x", not become host x.
    return new URL(`http://coordinator${target}`);
  } catch {
    return null;
  }
}
