/**
 * A worker facing a coordinator that misbehaves on a real socket (issue 16 items 13 and 16):
 * the coordinator in this process (helpers/fake-coordinator.ts) speaks the protocol through the
 * protocol package's session, and a real WorkerClient joins it.
 *   - a coordinator that completes the handshake and then says nothing at all (no FIN, no
 *     heartbeat: a host that lost power) is taken as lost after three announced heartbeat
 *     intervals; the worker closes with 4007 and rejoins the next coordinator at that address;
 *   - a coordinator `error` whose code is 1500 non-ASCII characters does not kill the worker:
 *     it closes with 4002 and a reason of at most 123 bytes, and goes on to the next one;
 *   - a coordinator that answers hello with a 1 MiB frame: before the worker has verified it a
 *     frame may hold a handshake message only (issue 17 item 1), so ws closes with 1009 and the
 *     worker goes on to the next one.
 */
import { WorkerClient } from '@gradswarm/worker/node';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCoordinator, type FakeCoordinator } from './helpers/fake-coordinator.js';

const TOKEN = 'worker-link-integration-token';
let fake: FakeCoordinator | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function worker(url: string, lines: string[]): WorkerClient {
  return new WorkerClient({
    url,
    token: TOKEN,
    threads: 1,
    label: 'link-test',
    log: (l) => void lines.push(l),
    reconnectInitialMs: 50,
    reconnectMaxMs: 100,
    giveUpAfterMs: 60_000,
  });
}

describe('gradswarm worker on a coordinator link that fails quietly', () => {
  it('takes a coordinator silent for three heartbeat intervals as lost, closes with 4007 and rejoins', async () => {
    fake = await startFakeCoordinator(TOKEN, ['silent', 'normal'], 200);
    const lines: string[] = [];
    const exit = await worker(fake.url, lines).run();
    expect(exit.reason, lines.join('\n')).toBe('finished');
    expect(fake.connections()).toBe(2);
    expect(fake.closes[0], lines.join('\n')).toMatchObject({ connection: 1, code: 4007 });
    expect(fake.closes[0].reason).toMatch(/^no message from the coordinator for \d+\.\d s$/);
    expect(lines).toContainEqual(expect.stringMatching(/^no message from the coordinator for \d+\.\d s$/));
  });

  it('survives a coordinator error whose code is 1500 non-ASCII characters: close 4002 within 123 bytes, then rejoins', async () => {
    fake = await startFakeCoordinator(TOKEN, ['hostile', 'normal'], 1000);
    const lines: string[] = [];
    const exit = await worker(fake.url, lines).run();
    expect(exit.reason, lines.join('\n')).toBe('finished');
    const first = fake.closes.find((c) => c.connection === 1)!;
    expect(first.code).toBe(4002);
    expect(Buffer.byteLength(first.reason)).toBeLessThanOrEqual(123);
    expect(first.reason).toMatch(/^error\.code must be a string of 1–1024 characters/);
  });

  it('closes a 1 MiB frame from a coordinator it has not verified with 1009, then rejoins', async () => {
    fake = await startFakeCoordinator(TOKEN, ['flood', 'normal'], 1000);
    const lines: string[] = [];
    const exit = await worker(fake.url, lines).run();
    expect(exit.reason, lines.join('\n')).toBe('finished');
    expect(
      fake.closes.find((c) => c.connection === 1),
      lines.join('\n'),
    ).toMatchObject({ code: 1009 });
  });

  it('does not take an unsigned leave "finished" before the welcome as the end of the run: it reconnects (issue 17 item 4)', async () => {
    fake = await startFakeCoordinator(TOKEN, ['stranger', 'normal'], 1000);
    const lines: string[] = [];
    const exit = await worker(fake.url, lines).run();
    expect(exit.reason, lines.join('\n')).toBe('finished');
    expect(fake.connections(), lines.join('\n')).toBe(2);
    expect(lines).toContainEqual(
      expect.stringMatching(/^an unverified peer at the coordinator's address said leave \(finished\); not trusted/),
    );
  });

  it('stops after three sessions in a row that its own checks end, with the reason (issue 17 item 4)', async () => {
    fake = await startFakeCoordinator(TOKEN, ['stale'], 1000);
    const lines: string[] = [];
    const exit = await worker(fake.url, lines).run();
    expect(exit.reason, lines.join('\n')).toBe('failed');
    expect(exit.message).toMatch(
      /^gave up after 3 sessions in a row ended by this worker's own error: step 0 needs weights version 5 but this worker holds -1$/,
    );
    expect(fake.connections()).toBe(3);
  });

  it('gives up at --give-up-after on a coordinator that welcomes and cuts the link at once, again and again (issue 17 item 4)', async () => {
    fake = await startFakeCoordinator(TOKEN, ['cut'], 1000);
    const lines: string[] = [];
    const client = new WorkerClient({
      url: fake.url,
      token: TOKEN,
      threads: 1,
      log: (l) => void lines.push(l),
      reconnectInitialMs: 50,
      reconnectMaxMs: 100,
      giveUpAfterMs: 1500,
    });
    const exit = await client.run();
    expect(exit.reason, lines.join('\n')).toBe('unreachable');
    expect(exit.message).toMatch(/^no coordinator at ws:\/\/127\.0\.0\.1:\d+ for 2 s \(closed 1006\)$/);
    expect(fake.connections()).toBeGreaterThan(1);
  });
});
