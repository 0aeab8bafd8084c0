/**
 * Backpressure (issue 17 item 2). An authenticated client that asks for the data set again and
 * again and never reads made the coordinator queue 748 MB of chunks. Now what waits for one
 * peer is bounded (send-queue.ts): the coordinator cuts such a client with GS_ERR_PEER_NOT_READING,
 * its memory stays near where it was, and a real worker trains the run to the end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv } from './helpers/cli.js';
import { joinAsFake, launchCoordinator } from './helpers/coordinator.js';
import { killAll, startWorker } from './helpers/processes.js';

const TOKEN = 'backpressure-integration-token';
/** Requests sent without reading: each asks for the whole data set again. */
const REQUESTS = 600;
let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  // 30 000 rows of 3 features: about 400 kB encoded, so 600 unread answers would be 240 MB.
  await writeBlobsCsv(csv, { rows: 30_000 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

describe('a client that asks for data and never reads', () => {
  it('is cut with GS_ERR_PEER_NOT_READING (4009) before much waits for it, and the run trains on to the end', async () => {
    const c = await launchCoordinator([
      '--dataset',
      `csv:${csv}`,
      ...blobsFlags(),
      '--epochs',
      '1',
      '--batch-size',
      '3000',
      '--token',
      TOKEN,
      '--min-workers',
      '1',
      '--local-threads',
      '0',
      '--out',
      join(dir, 'model.json'),
    ]);
    const pid = c.child.pid!;
    const fake = await joinAsFake(c.url, TOKEN, c.backend, 'reads-nothing', undefined, false);
    const { bytes, fingerprint } = fake.welcome.dataset;
    const length = Math.min(bytes, fake.welcome.chunkBytes);
    const before = rssBytes(pid);
    // The client's socket reads nothing from here on: the coordinator's answers pile up.
    (fake.conn.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < REQUESTS; i++) fake.conn.send({ t: 'data-request', fingerprint, offset: 0, length });
    const [line] = await c.waitFor(new RegExp(`^dropped worker ${fake.welcome.workerId} [^\n]*$`, 'm'));
    expect(line).toMatch(/\(GS_ERR_PEER_NOT_READING, 4009\): it does not read: \d+ bytes would wait for it/);
    const grownBytes = rssBytes(pid) - before;
    // Without the bound all REQUESTS answers (REQUESTS × length bytes) were queued.
    expect(grownBytes).toBeLessThan((REQUESTS * length) / 4);
    const worker = startWorker(c.url, TOKEN, ['--threads', '1', '--data-cache', 'none']);
    expect(await c.exited).toBe(0);
    expect(await worker.exited).toBe(0);
  }, 120_000);
});
