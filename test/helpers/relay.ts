/**
 * A relaying fake coordinator on 127.0.0.1: every frame a worker sends it goes on to the real
 * coordinator and every answer comes back, as a man in the middle at a mistyped or spoofed
 * address would do. `rewrite` may change a worker's frame on the way (e.g. the dialled address
 * in `auth`). Frames and closes are recorded for assertions.
 */
import type { AddressInfo } from 'node:net';
import { decodeMessage, DEFAULT_PROTOCOL_LIMITS, type Message } from '@gradswarm/protocol';
import WebSocket, { WebSocketServer } from 'ws';

export interface Relay {
  readonly url: string;
  /** Messages the real coordinator sent through the relay, decoded. */
  readonly fromCoordinator: Message[];
  close(): Promise<void>;
}

export async function startRelay(
  target: string,
  rewrite: (frame: Uint8Array) => Uint8Array = (f) => f,
): Promise<Relay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const fromCoordinator: Message[] = [];
  wss.on('connection', (down: WebSocket) => {
    const up = new WebSocket(target);
    const early: Uint8Array[] = [];
    const closeBoth = (code: number, reason: Buffer): void => {
      const c = code === 1005 || code === 1006 ? 1000 : code;
      for (const ws of [up, down]) if (ws.readyState === WebSocket.OPEN) ws.close(c, reason);
    };
    up.on('open', () => {
      for (const f of early) up.send(rewrite(f));
    });
    up.on('message', (data: Buffer) => {
      fromCoordinator.push(decodeMessage(new Uint8Array(data), DEFAULT_PROTOCOL_LIMITS));
      if (down.readyState === WebSocket.OPEN) down.send(data);
    });
    down.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data);
      if (up.readyState === WebSocket.OPEN) up.send(rewrite(frame));
      else early.push(frame);
    });
    up.on('close', closeBoth);
    down.on('close', closeBoth);
    up.on('error', () => down.terminate());
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    fromCoordinator,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
