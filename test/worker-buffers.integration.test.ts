/**
 * A worker's gradient buffers are reused from step to step (issue 17 item 2): a real coordinator
 * process, and a WorkerClient in this process whose count of allocated buffers is read as it
 * serves. It holds 4 reproducible shards a step (each kept whole), over the chain and over the
 * star; the count after the first steps is the count at the end of 240 steps: one buffer per
 * shard on the chain, and on the star, which streams each gradient as it is done, one per thread
 * plus two (worker-memory.integration.test.ts: the same at 64 and 512 shards).
 */
import { join } from 'node:path';
import { WorkerClient } from '@gradswarm/worker/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv } from './helpers/cli.js';
import { killAll, startCoordinator } from './helpers/processes.js';

const TOKEN = 'worker-buffers-integration-token';
const SHARDS = 4;
let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 3000 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

describe('a worker reuses its gradient buffers across steps (issue 17 item 2)', () => {
  for (const topology of ['chain', 'star'] as const) {
    it(`allocates one buffer per shard once, not per step (${topology})`, async () => {
      const c = await startCoordinator([
        '--min-workers',
        '1',
        '--dataset',
        `csv:${csv}`,
        ...blobsFlags(),
        '--epochs',
        '6',
        '--batch-size',
        '60',
        '--seed',
        '7',
        '--reproducible',
        String(SHARDS),
        '--local-threads',
        '0',
        '--topology',
        topology,
        '--token',
        TOKEN,
        '--out',
        join(dir, `${topology}.json`),
      ]);
      const lines: string[] = [];
      const client = new WorkerClient({
        url: c.url,
        token: TOKEN,
        threads: 1,
        label: 'buffers',
        log: (l) => void lines.push(l),
        giveUpAfterMs: 10_000,
      });
      let early = -1;
      const watch = setInterval(() => {
        if (early < 0 && client.stepsServed >= 5) early = client.gradientBuffersAllocated;
      }, 5);
      const exit = await client.run().finally(() => clearInterval(watch));
      expect(exit.reason, lines.join('\n')).toBe('finished');
      expect(await c.exited, c.stderr()).toBe(0);
      expect(exit.steps).toBe(240);
      if (topology === 'chain') expect(exit.chainSteps, c.stderr()).toBeGreaterThan(0);
      const expected = topology === 'chain' ? SHARDS : 1 + 2;
      expect(early, 'the count was read after the fifth step').toBe(expected);
      expect(client.gradientBuffersAllocated).toBe(expected);
    });
  }
});
