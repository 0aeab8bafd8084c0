/**
 * The routes a browser tab joins by (issue 13 item 4; the page and its scripts are the browser
 * package's, handed in by the cli, since the coordinator does not import it):
 *
 *   GET /join               the page (no run data in it: anyone may load it; the token is in the fragment)
 *   GET /join/app.js        its script
 *   GET /join/lane.js       the script of one Web Worker
 *   GET /join/kernels.wasm  the wasm kernels
 *
 * The tab then connects to the workers' WebSocket path `/` like any worker. The CSP allows
 * scripts, workers and connections to this origin only (and compiling WebAssembly): the page
 * fetches nothing from anywhere else.
 */
import type { HttpRoutes, RemoveRoute } from './http-routes.js';

export const JOIN_PAGE_PATH = '/join';

export interface JoinFile {
  readonly path: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface JoinRoutesOptions {
  readonly routes: HttpRoutes;
  /** The page's HTML (browser package: renderJoinPage). */
  readonly page: string;
  /** The files it loads (browser package: loadJoinAssets). */
  readonly files: readonly JoinFile[];
}

/** The page's CSP: this origin only; 'self' covers ws: and wss: to it (CSP Level 3). */
export const JOIN_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': JOIN_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Adds the page's routes.
 * @returns a function that removes them
 * @throws RangeError if one of the paths is routed already
 */
export function addJoinRoutes(o: JoinRoutesOptions): RemoveRoute {
  const removes = [
    o.routes.get(JOIN_PAGE_PATH, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
      res.end(o.page);
    }),
    ...o.files.map((f) =>
      o.routes.get(f.path, (_req, res) => {
        res.writeHead(200, {
          'content-type': f.contentType,
          'content-length': f.bytes.byteLength,
          ...SECURITY_HEADERS,
        });
        res.end(f.bytes);
      }),
    ),
  ];
  return () => {
    for (const remove of removes) remove();
  };
}
