import { afterEach, describe, expect, it } from 'vitest';
import { listen, type CoordinatorListener } from '../src/coordinator-listener.js';
import { addJoinRoutes, JOIN_CSP } from '../src/join-routes.js';

let listener: CoordinatorListener | null = null;
afterEach(async () => {
  await listener?.close();
  listener = null;
});

describe('the /join routes', () => {
  it('serve the page and its files with their types, a CSP of this origin only, and nothing cached', async () => {
    listener = await listen({ host: '127.0.0.1', port: 0, log: () => undefined, openFileLimit: null });
    const wasm = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    const remove = addJoinRoutes({
      routes: listener.routes,
      page: '<!doctype html><title>join</title>',
      files: [
        { path: '/join/app.js', contentType: 'text/javascript; charset=utf-8', bytes: new TextEncoder().encode('1;') },
        { path: '/join/kernels.wasm', contentType: 'application/wasm', bytes: wasm },
      ],
    });
    const base = `http://127.0.0.1:${listener.port}`;
    const page = await fetch(`${base}/join`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(JOIN_CSP);
    expect(JOIN_CSP).toMatch(/default-src 'none'/);
    expect(JOIN_CSP).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toBe('<!doctype html><title>join</title>');
    const file = await fetch(`${base}/join/kernels.wasm`);
    expect(file.headers.get('content-type')).toBe('application/wasm');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(wasm);
    expect((await fetch(`${base}/join/other.js`)).status).toBe(404);
    remove();
    expect((await fetch(`${base}/join`)).status).toBe(404);
  });
});
