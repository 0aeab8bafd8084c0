import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { frameLimit, setFrameLimit } from '../src/frame-limit.js';

let wss: WebSocketServer | null = null;
afterEach(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = null;
});

/** A server with a 1000-byte limit on 127.0.0.1 and one client of it, both open. */
async function pair(clientOptions: WebSocket.ClientOptions = {}): Promise<{ server: WebSocket; client: WebSocket }> {
  wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: 1000,
    perMessageDeflate: clientOptions.perMessageDeflate !== undefined,
  });
  await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
  const server = new Promise<WebSocket>((resolve) => wss!.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    maxPayload: 1000,
    ...clientOptions,
  });
  await new Promise<void>((resolve, reject) => client.once('open', resolve).once('error', reject));
  return { server: await server, client };
}

const received = (ws: WebSocket): Promise<number> =>
  new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data.byteLength)));
const closed = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', (code) => resolve(code)));

describe('setFrameLimit', () => {
  it('keeps the small limit until raised: a 2000-byte frame closes with 1009', async () => {
    const { server, client } = await pair();
    server.on('error', () => undefined);
    expect(frameLimit(server)).toBe(1000);
    const code = closed(client);
    client.send(new Uint8Array(2000));
    expect(await code).toBe(1009);
  });

  it("raises one connection's limit on the server and on the client side", async () => {
    const { server, client } = await pair();
    setFrameLimit(server, 5000);
    setFrameLimit(client, 5000);
    expect([frameLimit(server), frameLimit(client)]).toEqual([5000, 5000]);
    const atServer = received(server);
    client.send(new Uint8Array(2000));
    expect(await atServer).toBe(2000);
    const atClient = received(client);
    server.send(new Uint8Array(3000));
    expect(await atClient).toBe(3000);
  });

  it('raises the inflate limit too when permessage-deflate was negotiated', async () => {
    const { server, client } = await pair({ perMessageDeflate: true });
    expect(client.extensions).toContain('permessage-deflate');
    setFrameLimit(server, 50_000);
    const atServer = received(server);
    client.send(new Uint8Array(20_000), { compress: true });
    expect(await atServer).toBe(20_000);
  });

  it('refuses a limit that is not a positive safe integer, and a socket without a Receiver', () => {
    expect(() => setFrameLimit({ _receiver: { _maxPayload: 1 } } as never, 0)).toThrow(RangeError);
    expect(() => setFrameLimit({ _receiver: null } as never, 10)).toThrow(/needs updating/);
  });
});
