/**
 * A worker's memory for one step follows its thread count, not the shard count (issue 17 item
 * 2): in reproducible star mode it streams each shard's gradient to the coordinator as soon as it
 * is done, at the pace the link drains, instead of holding one gradient per shard until it answers.
 *   - counted: a WorkerClient in this process at 64 and at 512 virtual shards allocates the same
 *     few gradient buffers (threads + 2) and lets at most a few frames wait for the socket;
 *   - measured: a `gradswarm worker` process's peak resident memory (VmHWM) at 512 shards is
 *     within a quarter of the 448 extra shards' gradients of its peak at 64 (holding them, as
 *     protocol version 3 did, would add all of them, twice with their frames);
 * and every run's model is byte-identical to single-node `train --reproducible S`.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerClient } from '@gradswarm/worker/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv, trainedModel } from './helpers/cli.js';
import { killAll, startCoordinator, startWorker } from './helpers/processes.js';

const TOKEN = 'worker-memory-integration-token';
const THREADS = 2;
/** Hidden layers of the measured model (3 features, 3 classes): P = 4·2048 + 2049·64 + 65·3 = 139 523 floats, 558 kB a gradient. */
const WIDE = '2048,64';
const P_WIDE = 4 * 2048 + 2049 * 64 + 65 * 3;
let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 1024 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

/** One epoch of two 512-sample steps, in `shards` reproducible shards. */
const runFlags = (shards: number, layers: string): string[] => [
  '--dataset',
  `csv:${csv}`,
  ...blobsFlags({ layers }),
  '--epochs',
  '1',
  '--batch-size',
  '512',
  '--seed',
  '5',
  '--reproducible',
  String(shards),
];

async function expectTrainBytes(name: string, shards: number, layers: string): Promise<void> {
  const want = await trainedModel(runFlags(shards, layers), join(dir, `${name}-train.json`));
  const got = await readFile(join(dir, `${name}.json`));
  expect(got.equals(want), `${name}: model bytes against train --reproducible ${shards}`).toBe(true);
}

const coordinatorFlags = (name: string, shards: number, layers: string): string[] => [
  '--min-workers',
  '1',
  ...runFlags(shards, layers),
  '--local-threads',
  '0',
  '--topology',
  'star',
  '--token',
  TOKEN,
  '--out',
  join(dir, `${name}.json`),
];

/** Peak resident bytes of a process so far (VmHWM), or 0 once it is gone. */
function peakRssBytes(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
    return line ? Number(line[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

describe("a worker's memory does not grow with the shard count (issue 17 item 2)", () => {
  it('allocates threads + 2 gradient buffers at 64 and at 512 shards, to the bytes of train', async () => {
    const seen: Array<{ buffers: number; unflushedBytes: number }> = [];
    for (const shards of [64, 512]) {
      const name = `counted-${shards}`;
      const c = await startCoordinator(coordinatorFlags(name, shards, '8'));
      const lines: string[] = [];
      const client = new WorkerClient({
        url: c.url,
        token: TOKEN,
        threads: THREADS,
        label: name,
        log: (l) => void lines.push(l),
        giveUpAfterMs: 10_000,
      });
      const exit = await client.run();
      expect(exit.reason, lines.join('\n')).toBe('finished');
      expect(await c.exited, c.stderr()).toBe(0);
      expect(exit.steps).toBe(2);
      seen.push({ buffers: client.gradientBuffersAllocated, unflushedBytes: client.peakUnflushedResultBytes });
      await expectTrainBytes(name, shards, '8');
    }
    expect(seen[0].buffers).toBe(THREADS + 2);
    expect(seen[1].buffers).toBe(seen[0].buffers);
    // P = 4·8 + 9·3 = 59 floats: a gradient frame is 32 + 4·59 + 32 bytes; at most three wait at once.
    expect(seen[1].unflushedBytes).toBeGreaterThan(0);
    expect(seen[1].unflushedBytes).toBeLessThanOrEqual(3 * (64 + 4 * 59));
  });

  it("keeps a worker process's peak memory at 512 shards near its peak at 64, to the bytes of train", async () => {
    const peaks: number[] = [];
    for (const shards of [64, 512]) {
      const name = `rss-${shards}`;
      const c = await startCoordinator(coordinatorFlags(name, shards, WIDE));
      const w = startWorker(c.url, TOKEN, ['--threads', String(THREADS), '--data-cache', 'none', '--label', name]);
      let peak = 0;
      const watch = setInterval(() => (peak = Math.max(peak, peakRssBytes(w.child.pid!))), 20);
      const codes = await Promise.all([c.exited, w.exited]).finally(() => clearInterval(watch));
      expect(codes, `${c.stderr()}\n----\n${w.stderr()}`).toEqual([0, 0]);
      expect(peak).toBeGreaterThan(0);
      peaks.push(peak);
      await expectTrainBytes(name, shards, WIDE);
    }
    const extraGradientBytes = (512 - 64) * 4 * P_WIDE;
    console.log(`MEMORY worker VmHWM 64 shards ${peaks[0]} B, 512 shards ${peaks[1]} B (P = ${P_WIDE})`);
    expect(peaks[1] - peaks[0], `VmHWM ${peaks[0]} → ${peaks[1]} bytes`).toBeLessThan(extraGradientBytes / 4);
  });
});
