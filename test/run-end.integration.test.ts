/**
 * "The run finished" told apart from "the link was cut" (issue 17 item 4), with a real
 * coordinator and a real worker process. The worker dials a TCP relay on 127.0.0.2 at the
 * coordinator's port (an address of this machine, so its MAC binding holds), which passes every
 * byte and watches the coordinator's for the run's last step (`final: true` in the step message):
 *   - cut after the worker answered it (the next bytes from the coordinator are its `leave`,
 *     never delivered; both ends reset): the worker exits 0 at once with one line saying the run
 *     is finished and the link closed after the last step, without a retry;
 *   - cut as the last step arrives, before the worker answered it: the worker reconnects (the
 *     relay lets the second session through), serves the step again and exits 0 on the `leave`.
 * Both models are byte-identical to single-node `train --reproducible 4`. The first case again with
 * local SGD (`--sync-every 4 --replicas 2`): the round that ends the plan carries the marker too.
 */
import { readFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv, trainedModel } from './helpers/cli.js';
import { killAll, start, startCoordinator } from './helpers/processes.js';

const TOKEN = 'run-end-integration-token';
/** msgpack of the map entry `final: true` (fixstr 5 "final", true). */
const FINAL_ENTRY = Buffer.from([0xa5, ...Buffer.from('final'), 0xc3]);
let dir: string;
let csv: string;
let reference: Buffer;
let localReference: Buffer;
/** Local SGD: rounds of 4 steps over 2 replicas; the round that ends the plan is marked final. */
const LOCAL = ['--sync-every', '4', '--replicas', '2'];

const runFlags = (): string[] => [
  '--dataset',
  `csv:${csv}`,
  ...blobsFlags(),
  '--epochs',
  '2',
  '--batch-size',
  '60',
  '--seed',
  '7',
  '--reproducible',
  '4',
];

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 600 });
  reference = await trainedModel(runFlags(), join(dir, 'reference.json'));
  localReference = await trainedModel([...runFlags(), ...LOCAL], join(dir, 'reference-local.json'));
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

type CutAt = 'after-answer' | 'before-answer';

/** A TCP relay that cuts its first connection once at `cutAt`; returns whether it did. */
async function startCuttingRelay(
  port: number,
  cutAt: CutAt,
): Promise<{ cut: () => boolean; close: () => Promise<void> }> {
  let cut = false;
  let first = true;
  const open = new Set<Socket>();
  const server = createServer((down: Socket) => {
    const watching = first;
    first = false;
    const up = createConnection({ host: '127.0.0.1', port });
    for (const s of [up, down]) {
      open.add(s);
      s.on('close', () => open.delete(s));
    }
    let tail = Buffer.alloc(0);
    let sawFinal = false;
    let answered = false;
    const resetBoth = (): void => {
      cut = true;
      up.resetAndDestroy();
      down.resetAndDestroy();
    };
    up.on('data', (chunk: Buffer) => {
      if (watching && !cut) {
        if (answered) return resetBoth(); // the coordinator's next bytes after the answer: its leave
        const seen = Buffer.concat([tail, chunk]);
        if (!sawFinal && seen.includes(FINAL_ENTRY)) {
          sawFinal = true;
          if (cutAt === 'before-answer') return resetBoth();
        }
        tail = seen.subarray(Math.max(0, seen.length - FINAL_ENTRY.length));
      }
      down.write(chunk);
    });
    down.on('data', (chunk: Buffer) => {
      if (sawFinal) answered = true;
      up.write(chunk);
    });
    for (const [a, b] of [
      [up, down],
      [down, up],
    ] as const) {
      a.on('end', () => b.end());
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.2', () => resolve());
  });
  return {
    cut: () => cut,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const lines = (text: string): string[] => text.trimEnd().split('\n');

describe('a worker tells the end of the run from a cut link (issue 17 item 4)', () => {
  const cases = [
    { cutAt: 'after-answer', local: false },
    { cutAt: 'before-answer', local: false },
    { cutAt: 'after-answer', local: true },
  ] as const;
  for (const { cutAt, local } of cases) {
    const what =
      cutAt === 'after-answer'
        ? 'after it answered the last step, without a retry'
        : 'as the last step arrives, after serving it again';
    const name = `${cutAt}${local ? '-local' : ''}`;
    it(`exits 0 when its link is cut ${what}${local ? ' (the last local-SGD round)' : ''}`, async () => {
      const c = await startCoordinator([
        '--host',
        '127.0.0.1',
        '--min-workers',
        '1',
        ...runFlags(),
        ...(local ? LOCAL : []),
        '--local-threads',
        '0',
        '--topology',
        'star',
        // No heartbeat in the last step: the relay's "next bytes" after the answer are the leave.
        '--heartbeat-interval',
        '20000',
        '--token',
        TOKEN,
        '--out',
        join(dir, `${name}.json`),
      ]);
      const port = Number(new URL(c.url).port);
      const relay = await startCuttingRelay(port, cutAt);
      try {
        const w = start([
          'worker',
          '--connect',
          `ws://127.0.0.2:${port}`,
          '--token',
          TOKEN,
          '--threads',
          '1',
          '--data-cache',
          'none',
          '--give-up-after',
          '1m',
        ]);
        const codes = await Promise.all([c.exited, w.exited]);
        expect(codes, `${c.stderr()}\n----\n${w.stderr()}`).toEqual([0, 0]);
        expect(relay.cut(), 'the relay cut the link').toBe(true);
        const last = lines(w.stderr()).at(-1);
        if (cutAt === 'after-answer') {
          expect(last).toMatch(
            /^worker: the run is finished \(\d+ steps served; the link closed after the last step \(.+\)\)$/,
          );
          expect(w.stderr()).not.toMatch(/reconnecting/);
        } else {
          expect(w.stderr()).toMatch(/^connection lost \(.+\); reconnecting in \d+ ms$/m);
          expect(last).toMatch(/^worker: the run is finished \(\d+ steps served\)$/);
        }
        const expected = local ? localReference : reference;
        expect((await readFile(join(dir, `${name}.json`))).equals(expected), 'model bytes').toBe(true);
      } finally {
        await relay.close();
      }
    });
  }
});
