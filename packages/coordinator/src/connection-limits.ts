/**
 * Bounds on connections that have not authenticated yet (issue 16 item 14: about 1000 WebSocket
 * connections that never say hello used up a 1024 descriptor limit). Applied from outside the
 * handshake, so the handshake code only has to say when a connection is admitted:
 *
 *   upgrade request ── refusal(address)? ──▶ HTTP 503, socket closed (no WebSocket is made)
 *        │ within the caps
 *        ▼
 *   track(socket): counted, deadline timer started
 *        │ WebSocket made: attach(socket, ws)
 *        ├── admit(ws) (authenticated) ──▶ uncounted, timer cleared: the worker's from now on
 *        ├── socket closes ──▶ uncounted, timer cleared
 *        └── deadline ──▶ close 4008 (GS_ERR_HANDSHAKE_TIMEOUT), cut 1 s later if still open
 *
 * Addresses are counted per IPv4 address and per IPv6 /64 (one host usually holds a whole /64).
 * Log lines for timeouts and refusals are throttled (one per kind every 10 s, with a count of the
 * rest), so a flood cannot flood the log too.
 */
import type { Duplex } from 'node:stream';
import { closeReason, PROTOCOL_ERRORS } from '@gradswarm/protocol';
import type { WebSocket } from 'ws';

export interface ConnectionLimitsOptions {
  /** ms from the upgrade request to authentication [10 000]; Infinity: no deadline. */
  readonly handshakeTimeoutMs?: number;
  /** Unauthenticated connections at once, in total [256]; Infinity: no cap. */
  readonly maxUnauthenticated?: number;
  /** Unauthenticated connections at once from one IPv4 address or IPv6 /64 [32]; Infinity: no cap. */
  readonly maxUnauthenticatedPerAddress?: number;
}

export type ResolvedConnectionLimitsOptions = Readonly<Required<ConnectionLimitsOptions>>;

export const DEFAULT_CONNECTION_LIMITS: ResolvedConnectionLimitsOptions = Object.freeze({
  handshakeTimeoutMs: 10_000,
  maxUnauthenticated: 256,
  maxUnauthenticatedPerAddress: 32,
});

/** Close code of a connection that did not authenticate in time (the protocol's error table). */
export const HANDSHAKE_TIMEOUT_CLOSE_CODE = PROTOCOL_ERRORS.GS_ERR_HANDSHAKE_TIMEOUT.closeCode;
/** HTTP status of an upgrade refused over a cap (docs/errors.md: GS_ERR_CONNECTION_LIMIT). */
export const CONNECTION_LIMIT_HTTP_STATUS = 503;
/** Grace after the 4008 close frame before the socket is cut (a hostile peer never answers it). */
const CLOSE_GRACE_MS = 1000;
const LOG_WINDOW_MS = 10_000;

/**
 * Validates each field (a positive integer, or Infinity), merges the defaults and freezes.
 * @throws TypeError / RangeError "options.<name> must be …"
 */
export function resolveConnectionLimits(options: ConnectionLimitsOptions = {}): ResolvedConnectionLimitsOptions {
  for (const name of ['handshakeTimeoutMs', 'maxUnauthenticated', 'maxUnauthenticatedPerAddress'] as const) {
    const v = options[name];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new TypeError(`options.${name} must be a number, got ${typeof v}`);
    if (!(v === Infinity || (Number.isInteger(v) && v >= 1)))
      throw new RangeError(`options.${name} must be a positive integer or Infinity, got ${v}`);
  }
  return Object.freeze({
    ...DEFAULT_CONNECTION_LIMITS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  });
}

/** The key a peer is counted under: its IPv4 address, or the /64 of its IPv6 address. */
export function addressKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return '?';
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (v4) return v4[1];
  const halves = remoteAddress.toLowerCase().replace(/%.*$/, '').split('::');
  if (halves.length > 2) return remoteAddress;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  // "::" stands for as many zero groups as make eight.
  const zeros = halves.length === 2 ? new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0') : [];
  const groups = [...left, ...zeros, ...right].slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}::/64`;
}

interface Entry {
  readonly address: string;
  readonly peer: string;
  readonly socket: Duplex;
  ws: WebSocket | null;
  timer: NodeJS.Timeout | null;
  counted: boolean;
}

export class ConnectionLimits {
  private readonly bySocket = new Map<Duplex, Entry>();
  private readonly byWs = new WeakMap<WebSocket, Entry>();
  private readonly perAddress = new Map<string, number>();
  private readonly logged = new Map<string, { atMs: number; suppressed: number }>();
  private count = 0;

  /**
   * @param options resolved limits (resolveConnectionLimits)
   * @param log one line per timeout or refusal, throttled
   */
  constructor(
    readonly options: ResolvedConnectionLimitsOptions,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Connections counted as unauthenticated now. */
  get unauthenticated(): number {
    return this.count;
  }

  /** Why one more unauthenticated connection from `address` is refused, or null if it is not. */
  refusal(address: string): string | null {
    const o = this.options;
    let why: string | null = null;
    if (this.count >= o.maxUnauthenticated) {
      why = `${this.count} unauthenticated connections are open, the most the coordinator takes (--max-unauthenticated)`;
    } else if ((this.perAddress.get(address) ?? 0) >= o.maxUnauthenticatedPerAddress) {
      why = `${o.maxUnauthenticatedPerAddress} unauthenticated connections from ${address} are open, the most from one address (--max-unauthenticated-per-address)`;
    }
    if (why) this.throttled('refused', `refused a connection from ${address}: ${why}`);
    return why === null ? null : `the coordinator is busy: ${why}; try again shortly`;
  }

  /** Counts `socket` as unauthenticated from now on and starts its deadline. */
  track(socket: Duplex, address: string, peer: string): void {
    const entry: Entry = { address, peer, socket, ws: null, timer: null, counted: true };
    this.bySocket.set(socket, entry);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.count++;
    const ms = this.options.handshakeTimeoutMs;
    if (Number.isFinite(ms)) {
      entry.timer = setTimeout(() => this.expire(entry), ms);
      entry.timer.unref();
    }
    socket.once('close', () => this.release(entry));
  }

  /** The WebSocket made on a tracked socket (the deadline now closes it with 4008). */
  attach(socket: Duplex, ws: WebSocket): void {
    const entry = this.bySocket.get(socket);
    if (!entry) return;
    entry.ws = ws;
    this.byWs.set(ws, entry);
  }

  /**
   * The connection authenticated: it is no longer counted and has no deadline.
   * @returns false if `ws` was not tracked (already admitted, closed, or on an untracked path)
   */
  admit(ws: WebSocket): boolean {
    const entry = this.byWs.get(ws);
    if (!entry?.counted) return false;
    this.release(entry);
    return true;
  }

  /** Clears every deadline (the server is closing; its sockets are cut by their owners). */
  close(): void {
    for (const entry of [...this.bySocket.values()]) this.release(entry);
  }

  private release(entry: Entry): void {
    if (!entry.counted) return;
    entry.counted = false;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    this.bySocket.delete(entry.socket);
    this.count--;
    const left = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(entry.address, left);
    else this.perAddress.delete(entry.address);
  }

  private expire(entry: Entry): void {
    if (!entry.counted) return;
    const reason = `not authenticated within ${formatMs(this.options.handshakeTimeoutMs)}`;
    this.throttled('timeout', `closed the connection from ${entry.peer}: ${reason} (--handshake-timeout)`);
    this.release(entry);
    const ws = entry.ws;
    if (!ws) {
      entry.socket.destroy();
      return;
    }
    try {
      ws.close(HANDSHAKE_TIMEOUT_CLOSE_CODE, closeReason(reason));
    } catch {
      ws.terminate();
      return;
    }
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private throttled(kind: string, line: string): void {
    const now = Date.now();
    const last = this.logged.get(kind);
    if (last && now - last.atMs < LOG_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    const more = last && last.suppressed > 0 ? ` (and ${last.suppressed} more like it since the last such line)` : '';
    this.log(`${line}${more}`);
    this.logged.set(kind, { atMs: now, suppressed: 0 });
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
