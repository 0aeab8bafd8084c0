/**
 * Issue 16 item 14: WebSocket connections that never say hello cannot pile up. A coordinator
 * closes each at its handshake deadline (close 4008), refuses more than its caps with HTTP 503
 * (GS_ERR_CONNECTION_LIMIT) in total and per address, and trains on meanwhile; a real worker
 * still joins. The idle connections come from other loopback addresses (127.0.0.2, …), which
 * Linux routes to lo without any set-up, so the per-address cap can be full while the real
 * worker dials from 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI_BIN, makeTempDir, removeTempDir, REPO_ROOT, writeBlobsCsv } from './helpers/cli.js';
import { getStatus } from './helpers/coordinator.js';
import { killAll, startCoordinator, startWorker, type Running } from './helpers/processes.js';

const TOKEN = 'idle-connections-integration-token';

interface Idle {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket from `localAddress` that never sends a byte; resolves once it is open. */
function openIdle(url: string, localAddress: string): Promise<Idle> {
  const ws = new WebSocket(url, { localAddress });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

/** Tries to open one more from `localAddress`; resolves with the HTTP status and JSON body of the refusal. */
function refusedUpgrade(
  url: string,
  localAddress: string,
): Promise<{ status: number; body: { error: string; code: string } }> {
  const ws = new WebSocket(url, { localAddress });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`a connection from ${localAddress} was accepted over the cap`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('error', () => undefined);
  });
}

describe('gradswarm coordinator under a flood of idle connections', () => {
  let dir: string;
  let csv: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    csv = join(dir, 'blobs.csv');
    await writeBlobsCsv(csv, { rows: 3000 });
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  /** A coordinator that trains with one local thread for far longer than the test. */
  const launch = (flags: string[]): Promise<Running & { url: string }> =>
    startCoordinator([
      '--dataset',
      `csv:${csv}`,
      '--epochs',
      '100000',
      '--local-threads',
      '1',
      '--min-workers',
      '0',
      '--token',
      TOKEN,
      ...flags,
    ]);

  it('closes connections that do not authenticate at the handshake deadline with 4008, trains on, and lets a worker join', async () => {
    const c = await launch(['--handshake-timeout', '3000']);
    const httpUrl = c.url.replace(/^ws/, 'http');
    const idle = await Promise.all(Array.from({ length: 40 }, (_, i) => openIdle(c.url, `127.0.0.${2 + (i % 4)}`)));
    const before = await getStatus(httpUrl);
    expect(before.state).toBe('training');
    expect(before.unauthenticatedConnections).toBe(40);
    for (const { closed } of idle) expect(await closed).toEqual({ code: 4008, reason: 'not authenticated within 3 s' });
    const w = startWorker(c.url, TOKEN, ['--threads', '1', '--label', 'after-the-flood', '--data-cache', 'none']);
    await c.waitFor(/^worker 1 \(after-the-flood, 1 thread, [^)]+\) joined/m);
    const after = await getStatus(httpUrl);
    expect(after.state).toBe('training');
    expect(after.step).toBeGreaterThan(before.step);
    expect(after.unauthenticatedConnections).toBe(0);
    expect(c.stderr()).toMatch(
      /^closed the connection from 127\.0\.0\.\d:\d+: not authenticated within 3 s \(--handshake-timeout\)/m,
    );
    expect(c.child.exitCode).toBeNull();
    w.child.kill('SIGKILL');
  });

  it('refuses connections over the per-address and the total cap with HTTP 503, and a worker joins once there is room', async () => {
    const c = await launch([
      '--handshake-timeout',
      '600000',
      '--max-unauthenticated',
      '12',
      '--max-unauthenticated-per-address',
      '5',
    ]);
    const httpUrl = c.url.replace(/^ws/, 'http');
    const fromTwo = await Promise.all(Array.from({ length: 5 }, () => openIdle(c.url, '127.0.0.2')));
    const perAddress = await refusedUpgrade(c.url, '127.0.0.2');
    expect(perAddress.status).toBe(503);
    expect(perAddress.body).toEqual({
      code: 'GS_ERR_CONNECTION_LIMIT',
      error:
        'the coordinator is busy: 5 unauthenticated connections from 127.0.0.2 are open, the most from one address (--max-unauthenticated-per-address); try again shortly',
    });

    // Another address still gets in: a real worker from 127.0.0.1 joins while 127.0.0.2 is at its cap.
    const first = startWorker(c.url, TOKEN, ['--threads', '1', '--label', 'beside-the-cap', '--data-cache', 'none']);
    await c.waitFor(/^worker 1 \(beside-the-cap, 1 thread, [^)]+\) joined/m);

    const more = await Promise.all([
      ...Array.from({ length: 5 }, () => openIdle(c.url, '127.0.0.3')),
      ...Array.from({ length: 2 }, () => openIdle(c.url, '127.0.0.4')),
    ]);
    const total = await refusedUpgrade(c.url, '127.0.0.5');
    expect(total.status).toBe(503);
    expect(total.body.error).toBe(
      'the coordinator is busy: 12 unauthenticated connections are open, the most the coordinator takes (--max-unauthenticated); try again shortly',
    );
    expect((await getStatus(httpUrl)).unauthenticatedConnections).toBe(12);

    // At the total cap a worker is turned away too, and retries; once the idle ones go it joins.
    const second = startWorker(c.url, TOKEN, ['--threads', '1', '--label', 'after-the-cap', '--data-cache', 'none']);
    await second.waitFor(
      /connection lost \(the coordinator is busy \(HTTP 503: too many connections not yet authenticated\)\); reconnecting/,
    );
    for (const { ws } of [...fromTwo, ...more]) ws.terminate();
    await c.waitFor(/^worker 2 \(after-the-cap, 1 thread, [^)]+\) joined/m);
    const status = await getStatus(httpUrl);
    expect(status.state).toBe('training');
    expect(status.workers.filter((w) => w.state === 'READY').map((w) => w.name)).toEqual([
      'beside-the-cap',
      'after-the-cap',
    ]);
    expect(c.stderr()).toMatch(
      /^refused a connection from 127\.0\.0\.2: 5 unauthenticated connections from 127\.0\.0\.2 are open/m,
    );
    expect(c.child.exitCode).toBeNull();
    first.child.kill('SIGKILL');
    second.child.kill('SIGKILL');
  });

  it.skipIf(process.platform !== 'linux')(
    'fits its cap inside a low open-file limit and says so in one line',
    async () => {
      // `ulimit -n 256` lowers the hard limit too, so Node cannot raise the soft one past it.
      const child = spawn(
        'sh',
        [
          '-c',
          'ulimit -n 256 && exec "$0" "$@"',
          process.execPath,
          CLI_BIN,
          'coordinator',
          '--port',
          '0',
          '--no-progress',
          '--dataset',
          `csv:${csv}`,
          '--local-threads',
          '0',
          '--min-workers',
          '1',
          '--token',
          TOKEN,
        ],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.setEncoding('utf8').on('data', (c: string) => {
          stderr += c;
          if (/coordinator listening on /.test(stderr)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before listening:\n${stderr}`)));
      });
      child.kill('SIGKILL');
      expect(stderr).toMatch(
        /^the open-file limit is 256 \(hard 256\), so at most 64 unauthenticated connections are taken at once, not 256 - help: raise the hard limit/m,
      );
    },
  );
});
