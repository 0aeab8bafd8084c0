/**
 * A coordinator in this test process, on 127.0.0.1, that speaks the protocol through the
 * protocol package's CoordinatorSession but behaves as a test says, per connection:
 *   'normal'   handshake, data set, ready, then leave 'finished' (the run is over)
 *   'silent'   handshake, data set, ready, then nothing at all: no heartbeat, no step, no close
 *              (a host that lost power behind a cut link)
 *   'hostile'  answers hello with an unsigned `error` whose code is 1500 non-ASCII characters
 *   'stranger' answers hello with an unsigned leave 'finished' (anyone at the address can)
 *   'stale'    handshake, data set, ready, then a step for weights it never sent (the worker's own
 *              check fails it, the same way on every connection)
 *   'cut'      handshake, data set, ready, then the socket is cut at once
 *   'flood'    answers hello with a valid challenge padded to 1 MiB (an unknown field), a frame
 *              far above what a worker accepts before it has verified the coordinator
 * Every close the worker sends is recorded.
 */
import type { AddressInfo } from 'node:net';
import { Rng, type ModelSpec } from '@gradswarm/core';
import { encodeDataset, fingerprint } from '@gradswarm/data';
import {
  CoordinatorSession,
  createCoordinatorId,
  DEFAULT_PROTOCOL_LIMITS,
  deriveTokenKey,
  encodeMessage,
  type CoordinatorAction,
} from '@gradswarm/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export type FakeBehaviour = 'normal' | 'silent' | 'hostile' | 'flood' | 'stranger' | 'stale' | 'cut';

export interface FakeCoordinator {
  readonly url: string;
  /** Close frames received, in connection order. */
  readonly closes: Array<{ connection: number; code: number; reason: string }>;
  /** Connections accepted so far. */
  connections(): number;
  /** Resolves when connection `n` (1-based) has been admitted (its worker is READY). */
  admitted(n: number): Promise<void>;
  close(): Promise<void>;
}

const SPEC: ModelSpec = { layers: [4, 3, 2], hidden: 'sigmoid', output: 'softmax', loss: 'ce' };

/**
 * Starts a fake coordinator.
 * @param behaviours what connection i does (the last entry repeats)
 * @param heartbeatMs what the welcome announces
 */
export async function startFakeCoordinator(
  token: string,
  behaviours: readonly FakeBehaviour[],
  heartbeatMs: number,
): Promise<FakeCoordinator> {
  const rng = new Rng(3);
  const samples = {
    features: Float32Array.from({ length: 40 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: 10 }, () => rng.nextInt(2)),
    count: 10,
    featureCount: 4,
    classCount: 2,
  };
  const bytes = encodeDataset(samples);
  const tokenKey = await deriveTokenKey(token);
  const coordinatorId = createCoordinatorId();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const closes: FakeCoordinator['closes'] = [];
  const admittedWaiters = new Map<number, () => void>();
  const admittedDone = new Set<number>();
  let count = 0;
  wss.on('connection', (ws: WebSocket) => {
    const n = ++count;
    const behaviour = behaviours[Math.min(n, behaviours.length) - 1];
    ws.on('close', (code, reason) => closes.push({ connection: n, code, reason: reason.toString() }));
    if (behaviour === 'hostile') {
      ws.once('message', () => ws.send(encodeMessage({ t: 'error', code: 'É'.repeat(1500), message: 'hostile' })));
      return;
    }
    if (behaviour === 'stranger') {
      ws.once('message', () => ws.send(encodeMessage({ t: 'leave', reason: 'finished' })));
      return;
    }
    if (behaviour === 'flood') {
      ws.once('message', () =>
        ws.send(
          encodeMessage({
            t: 'challenge',
            nonce: new Uint8Array(32),
            coordinatorId: new Uint8Array(16),
            pad: new Uint8Array(1 << 20),
          } as never),
        ),
      );
      return;
    }
    let next = 1;
    const session = new CoordinatorSession({
      tokenKey,
      coordinatorId,
      certFingerprint: '',
      limits: DEFAULT_PROTOCOL_LIMITS,
      parameterCount: 23,
      offer: {
        spec: SPEC,
        config: { seed: 1, shuffle: false, blockRows: 64 },
        dataset: {
          fingerprint: fingerprint(samples),
          count: 10,
          featureCount: 4,
          classCount: 2,
          bytes: bytes.byteLength,
          name: 'fake',
        },
        chunkBytes: 64,
        heartbeatMs,
      },
      dataset: bytes,
      isOwnAddress: () => true,
      allocateId: () => next++,
    });
    const apply = (actions: readonly CoordinatorAction[]): void => {
      for (const a of actions) {
        if (a.kind === 'send' && ws.readyState === ws.OPEN) ws.send(a.bytes);
        else if (a.kind === 'close') ws.close(a.code, a.reason);
        else if (a.kind === 'admit') {
          admittedDone.add(n);
          admittedWaiters.get(n)?.();
          if (behaviour === 'normal') void session.leave('finished', 'run finished').then(apply);
          if (behaviour === 'cut') ws.terminate();
          if (behaviour === 'stale') {
            const shards = [{ offset: 0, count: 10 }];
            void session.sendStep({ step: 0, version: 5, epoch: 0, batch: 0, shards, reduce: 'each' }).then(apply);
          }
        }
      }
    };
    ws.on(
      'message',
      (data: Buffer, isBinary: boolean) =>
        void session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary).then(apply),
    );
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    closes,
    connections: () => count,
    admitted: (n) =>
      admittedDone.has(n) ? Promise.resolve() : new Promise((resolve) => admittedWaiters.set(n, resolve)),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
