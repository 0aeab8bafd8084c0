/**
 * The dashboard's and Prometheus' routes on the coordinator's port (http-routes.ts):
 *
 *   GET /                  the page (a shell without run data: anyone may load it; it asks for the token)
 *   GET /dashboard/events  Server-Sent Events: `view` events with the rendered HTML of the run, at
 *                          most every `intervalMs`, while something changed (needs a token)
 *   GET /metrics           Prometheus text format (needs a token)
 *
 * The page cannot use EventSource (it sends no headers), so it reads the stream with fetch and an
 * `Authorization: Bearer` header taken from its URL fragment (#token=…), which the browser never
 * sends to the server. The coordinator renders, not the page: the page stays a small script, and
 * the charts are the report package's renderers (given here as `render`, since the coordinator
 * does not import the report package). Rendering happens only while a page is connected.
 */
import type { ServerResponse } from 'node:http';
import type { HttpRoutes, RemoveRoute } from './http-routes.js';
import type { PrometheusMetrics } from './prometheus-metrics.js';
import type { ReadAccess } from './read-access.js';
import type { RunEvents } from './run-events.js';
import type { DashboardSnapshot, RunObserver } from './run-observer.js';

export const DASHBOARD_PATH = '/';
export const DASHBOARD_EVENTS_PATH = '/dashboard/events';
export const METRICS_PATH = '/metrics';
/** Default of `intervalMs`. */
export const DEFAULT_DASHBOARD_INTERVAL_MS = 500;
/** A view is sent at least this often even when nothing changed (last-seen times move). */
const IDLE_REFRESH_MS = 5_000;

export interface DashboardRoutesOptions {
  readonly routes: HttpRoutes;
  readonly access: ReadAccess;
  readonly events: RunEvents;
  readonly observer: RunObserver;
  readonly metrics: PrometheusMetrics;
  /** The page's HTML (report package: renderDashboardPage). */
  readonly page: string;
  /** The HTML of one view of the run (report package: renderDashboardView). */
  readonly render: (snapshot: DashboardSnapshot) => string;
  /** Least ms between two views sent [DEFAULT_DASHBOARD_INTERVAL_MS]. */
  readonly intervalMs?: number;
  readonly log: (line: string) => void;
}

/** Only inline scripts and styles, and requests to this origin: the page fetches nothing from outside. */
const PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'";

/**
 * Adds the three routes and starts pushing views to connected pages.
 * @returns a function that removes the routes and ends every open stream
 * @throws RangeError if one of the paths is routed already
 */
export function addDashboardRoutes(o: DashboardRoutesOptions): RemoveRoute {
  const clients = new Set<ServerResponse>();
  const intervalMs = o.intervalMs ?? DEFAULT_DASHBOARD_INTERVAL_MS;
  let dirty = true;
  let lastSentMs = 0;
  const offs = (['step', 'epoch', 'joined', 'left', 'dropped', 'reassigned'] as const).map((type) =>
    o.events.on(type, () => {
      dirty = true;
    }),
  );
  const view = (): string => `event: view\ndata: ${JSON.stringify({ html: o.render(o.observer.snapshot()) })}\n\n`;
  const push = (): void => {
    if (clients.size === 0) return;
    const now = Date.now();
    if (!dirty && now - lastSentMs < IDLE_REFRESH_MS) return;
    let text: string;
    try {
      text = view();
    } catch (err) {
      o.log(`dashboard: a view failed to render: ${(err as Error).message}`);
      return;
    }
    dirty = false;
    lastSentMs = now;
    for (const res of clients) res.write(text);
  };
  const timer = setInterval(push, intervalMs);
  timer.unref();

  const removes = [
    o.routes.get(DASHBOARD_PATH, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': PAGE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(o.page);
    }),
    o.routes.get(DASHBOARD_EVENTS_PATH, (req, res) => {
      if (!o.access.check(req, res)) return;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      if (req.method === 'HEAD') return void res.end();
      res.write(view());
      clients.add(res);
      const drop = (): void => void clients.delete(res);
      req.on('close', drop);
      res.on('error', drop);
    }),
    o.routes.get(METRICS_PATH, async (req, res) => {
      if (!o.access.check(req, res)) return;
      const body = await o.metrics.text();
      res.writeHead(200, { 'content-type': o.metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
    }),
  ];
  return () => {
    clearInterval(timer);
    for (const off of offs) off();
    for (const remove of removes) remove();
    for (const res of clients) res.end();
    clients.clear();
  };
}
