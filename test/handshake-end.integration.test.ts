/**
 * A run that ends while a worker is in the handshake (issue 17 item 4): the worker must hear
 * that the run finished, from the coordinator it authenticates with, and not retry for minutes.
 * A real coordinator process trains a short run with a real worker; a protocol client in this
 * process has sent its hello and holds its auth; a second one, welcomed, hears the run end and
 * the held auth goes out at that moment. The answer is a leave "finished" signed under the held
 * session's keys (no welcome, no worker id), which its WorkerSession takes as the end.
 */
import { join } from 'node:path';
import { deriveTokenKey, normalizeDialled, WorkerSession, type WorkerAction } from '@gradswarm/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv } from './helpers/cli.js';
import { launchCoordinator, RawConnection } from './helpers/coordinator.js';
import { killAll, startWorker } from './helpers/processes.js';

const TOKEN = 'handshake-end-integration-token';
let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 600 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

describe('a run that ends while a worker is in the handshake (issue 17 item 4)', () => {
  it('answers the held auth with a signed leave "finished" that the worker takes as the end', async () => {
    const c = await launchCoordinator([
      '--min-workers',
      '1',
      '--dataset',
      `csv:${csv}`,
      ...blobsFlags(),
      '--epochs',
      '2',
      '--batch-size',
      '60',
      '--local-threads',
      '0',
      '--token',
      TOKEN,
      '--out',
      join(dir, 'model.json'),
    ]);
    const tokenKey = await deriveTokenKey(TOKEN);
    const session = (label: string): WorkerSession =>
      new WorkerSession({ tokenKey, dialled: normalizeDialled(c.url), threads: 1, backend: c.backend, label });

    // The listener: welcomed, never ready (it takes no shards); it hears when the run ends.
    const listener = await RawConnection.open(c.url);
    const listening = session('listener');
    let heardEnd: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (heardEnd = resolve));
    const welcomed = new Promise<void>((resolve, reject) =>
      listener.attach(listening, (a) => {
        if (a.kind === 'welcome') resolve();
        else if (a.kind === 'finished') heardEnd();
        else if (a.kind === 'refused' || a.kind === 'lost') reject(new Error(a.message));
      }),
    );
    listener.apply(await listening.open(listener.certFingerprint));
    await welcomed;

    // The late one: hello sent, challenge answered, its auth held.
    const late = session('late');
    const ws = new WebSocket(c.url);
    ws.binaryType = 'nodebuffer';
    const actions: WorkerAction[] = [];
    let held: Uint8Array | null = null;
    let gotChallenge: () => void = () => undefined;
    const challenged = new Promise<void>((resolve) => (gotChallenge = resolve));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer) => {
      void late.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).then((out) => {
        for (const a of out) {
          if (a.kind === 'send' && held === null && late.state === 1) {
            held = a.bytes;
            gotChallenge();
          } else actions.push(a);
        }
      });
    });
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    for (const a of await late.open('')) if (a.kind === 'send') ws.send(a.bytes);
    await challenged;

    const worker = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', 'none']);
    await ended;
    ws.send(held!);
    expect(await closed).toBe(1000);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await worker.exited, worker.stderr()).toBe(0);
    expect(
      actions.map((a) => a.kind),
      JSON.stringify(actions),
    ).toContain('finished');
    expect(actions.filter((a) => a.kind === 'lost' || a.kind === 'refused')).toEqual([]);
    // No worker id went to it: the coordinator logged no third worker.
    expect(c.stderr()).not.toMatch(/^worker 3 /m);
  });
});
