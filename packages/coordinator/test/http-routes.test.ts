import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GradswarmError } from '@gradswarm/core';
import { listen, type CoordinatorListener } from '../src/coordinator-listener.js';
import { sendJson } from '../src/http-routes.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function fetchText(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
/** Opens a WebSocket; resolves with 'open' or the error message. */
function dial(url: string): Promise<{ ws: WebSocket | null; error: string | null }> {
  const ws = new WebSocket(url);
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ws, error: null }));
    ws.once('error', (err) => resolve({ ws: null, error: err.message }));
  });
}

let listener: CoordinatorListener | null = null;
afterEach(async () => {
  await listener?.close();
  listener = null;
});
const open = async (lines: string[] = []): Promise<{ l: CoordinatorListener; base: string }> => {
  listener = await listen({ host: '127.0.0.1', port: 0, log: (line) => lines.push(line), openFileLimit: null });
  return { l: listener, base: `http://127.0.0.1:${listener.port}` };
};

describe('HttpRoutes on a listener', () => {
  it('answers an added GET route (and HEAD), ignoring the query string', async () => {
    const { l, base } = await open();
    l.routes.get('/metrics', (_req, res, url) => sendJson(res, 200, { query: url.searchParams.get('x') }));
    const reply = await fetchText(`${base}/metrics?x=1`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ query: '1' });
    expect((await fetchText(`${base}/metrics`, 'HEAD')).status).toBe(200);
  });

  it('answers 404 naming the GET routes, 405 with Allow for another method, and 400 for a target that is not a path', async () => {
    const { l, base } = await open();
    l.routes.get('/status', (_req, res) => sendJson(res, 200, {}));
    l.routes.route('POST', '/join', (_req, res) => sendJson(res, 201, {}));
    const missing = await fetchText(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'not found; try GET /status' });
    const wrong = await fetchText(`${base}/join`, 'GET');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect((await fetchText(`${base}/join`, 'POST')).status).toBe(201);
    // "//status" is a path, not a host: it does not reach /status.
    expect((await fetchText(`${base}//status`)).status).toBe(404);
  });

  it('answers 500 and logs one line when a handler throws or rejects, and keeps serving', async () => {
    const lines: string[] = [];
    const { l, base } = await open(lines);
    l.routes.get('/boom', () => {
      throw new Error('kaboom');
    });
    l.routes.get('/later', async () => {
      throw new Error('async kaboom');
    });
    expect((await fetchText(`${base}/boom`)).status).toBe(500);
    expect((await fetchText(`${base}/later`)).status).toBe(500);
    expect(lines).toEqual(['GET /boom failed: kaboom', 'GET /later failed: async kaboom']);
  });

  it('refuses a second route for the same method and path, and a path without a leading slash', async () => {
    const { l } = await open();
    l.routes.get('/status', () => undefined);
    expect(() => l.routes.get('/status', () => undefined)).toThrow(new RangeError('GET /status is already routed'));
    expect(() => l.routes.get('status', () => undefined)).toThrow(RangeError);
    l.routes.upgrade('/peer', { maxPayloadBytes: 1024 }, () => undefined);
    expect(() => l.routes.upgrade('/peer', { maxPayloadBytes: 1024 }, () => undefined)).toThrow(
      new RangeError('WebSocket upgrades on /peer are already routed'),
    );
  });

  it('routes WebSocket upgrades by path, each with its own size limit, and answers 404 for a path with none', async () => {
    const lines: string[] = [];
    const { l, base } = await open(lines);
    const ws = base.replace(/^http/, 'ws');
    const seen: string[] = [];
    l.routes.upgrade('/', { maxPayloadBytes: 1 << 20 }, (socket) => {
      seen.push('workers');
      socket.close(1000, 'workers');
    });
    l.routes.upgrade('/peer', { maxPayloadBytes: 16, handshake: false }, (socket) => {
      seen.push('peer');
      socket.on('message', () => socket.send('ok'));
    });
    const peer = await dial(`${ws}/peer`);
    expect(peer.error).toBeNull();
    const closed = new Promise<number>((resolve) => peer.ws!.on('close', (code) => resolve(code)));
    peer.ws!.send(Buffer.alloc(17)); // over this path's 16-byte limit
    expect(await closed).toBe(1009);
    // The handler did not listen for errors: the route logged it instead of ws throwing it.
    expect(lines).toEqual(['WebSocket on /peer: Max payload size exceeded']);
    expect((await dial(`${ws}/`)).error).toBeNull();
    expect((await dial(`${ws}/other`)).error).toBe('Unexpected server response: 404');
    expect(seen.sort()).toEqual(['peer', 'workers']);
    // A path with handshake: false is not counted as unauthenticated.
    expect(l.limits.unauthenticated).toBeLessThanOrEqual(1);
  });

  it('removes a route with the function it returned', async () => {
    const { l, base } = await open();
    const remove = l.routes.get('/x', (_req, res) => sendJson(res, 200, {}));
    expect((await fetchText(`${base}/x`)).status).toBe(200);
    remove();
    expect((await fetchText(`${base}/x`)).status).toBe(404);
  });
});

describe('listen', () => {
  it('rejects with GS_ERR_LISTEN and a hint when the port is taken', async () => {
    const { l } = await open();
    const err = await listen({ host: '127.0.0.1', port: l.port, openFileLimit: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GradswarmError);
    expect((err as GradswarmError).code).toBe('GS_ERR_LISTEN');
    expect((err as GradswarmError).message).toBe(
      `cannot listen on 127.0.0.1:${l.port}: the port is in use (another coordinator?) - help: stop the other process, choose another --port, or --port 0 to pick a free one`,
    );
  });

  it('rejects bad TLS material with GS_ERR_TLS before binding', async () => {
    const err = await listen({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: 'not a certificate', key: 'nor a key' },
      openFileLimit: null,
    }).catch((e: unknown) => e);
    expect((err as GradswarmError).code).toBe('GS_ERR_TLS');
    expect((err as GradswarmError).message).toBe(
      'the TLS certificate is not a PEM certificate - help: give the file that begins with -----BEGIN CERTIFICATE-----',
    );
  });
});
