import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SendQueue } from '../src/send-queue.js';

/** A ws server on 127.0.0.1 and one client: the server side's socket is what a SendQueue wraps. */
async function pair(): Promise<{ server: WebSocket; client: WebSocket; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise<void>((resolve) => client.once('open', () => resolve()));
  return { server: await accepted, client, wss };
}

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

const FRAME_BYTES = 256 * 1024;
const FRAMES = 64;

describe('SendQueue', () => {
  it('delivers every frame in order to a peer that reads, and never gives up on it', async () => {
    const { server, client, wss } = await pair();
    cleanup = () => (client.terminate(), wss.close());
    const stuck: string[] = [];
    const q = new SendQueue(server, {
      highWaterBytes: FRAME_BYTES,
      maxQueuedBytes: FRAMES * FRAME_BYTES,
      drainDeadlineMs: 10_000,
      onStuck: (r) => void stuck.push(r),
    });
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer) => {
        got.push(data[0]);
        if (got.length === FRAMES) resolve();
      }),
    );
    for (let i = 0; i < FRAMES; i++) q.send(new Uint8Array(FRAME_BYTES).fill(i));
    await all;
    expect(got).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    expect(stuck).toEqual([]);
    expect(q.waitingBytes).toBe(0);
  });

  it('gives up on a peer that reads nothing once more than the bound would wait for it', async () => {
    const { server, client, wss } = await pair();
    cleanup = () => (client.terminate(), wss.close());
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const stuck: string[] = [];
    const q = new SendQueue(server, {
      highWaterBytes: FRAME_BYTES,
      maxQueuedBytes: 4 * FRAME_BYTES,
      drainDeadlineMs: 60_000,
      onStuck: (r) => void stuck.push(r),
    });
    // Loopback's kernel buffers take some megabytes before ws's own buffer grows.
    for (let i = 0; i < 1024 && stuck.length === 0; i++) {
      q.send(new Uint8Array(FRAME_BYTES));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatch(/^it does not read: \d+ bytes would wait for it \(limit 1310720\)$/);
    expect(q.waitingBytes).toBe(0);
  });

  it('gives up on a peer whose socket takes nothing for the drain deadline while frames wait', async () => {
    const { server, client, wss } = await pair();
    cleanup = () => (client.terminate(), wss.close());
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const stuck = new Promise<string>((resolve) => {
      const q = new SendQueue(server, {
        highWaterBytes: FRAME_BYTES,
        maxQueuedBytes: 1 << 30,
        drainDeadlineMs: 300,
        onStuck: resolve,
      });
      // Far more than loopback's kernel buffers hold, all of it allowed to wait.
      for (let i = 0; i < 256; i++) q.send(new Uint8Array(FRAME_BYTES));
    });
    expect(await stuck).toMatch(/^it read nothing for \d+ s with \d+ bytes waiting$/);
  });
});
