/**
 * A coordinator process facing the attacks of issue 16 items 13 and 17, on real sockets:
 *   1. while it waits for workers: a relaying fake coordinator, to which a real worker connects,
 *      forwards the real challenge and the worker's answer; the worker's MAC is bound to the
 *      relay's address, so the coordinator refuses it (and a relay that rewrites the address
 *      breaks the MAC): nobody joins;
 *   2. a fake worker that holds the token joins (the run starts, one local thread computes too);
 *      a later message of it tampered with in flight is refused with GS_ERR_AUTH, close 1008;
 *   3. during training, hellos whose label or backend is 1100 non-ASCII characters are refused
 *      with a close reason of at most 123 bytes, and the coordinator trains on (two more epochs,
 *      then SIGTERM stops it as it would any run: exit 130);
 *   4. a user-chosen token of 9 characters is refused in one line naming --token.
 * The tests share the coordinator and run in order; run the file as a whole.
 */
import {
  encodeMessage,
  normalizeDialled,
  PROTOCOL_VERSION,
  decodeMessage,
  DEFAULT_PROTOCOL_LIMITS,
  type Message,
} from '@gradswarm/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli, SHARED_DATA_MISSING } from './helpers/cli.js';
import {
  getStatus,
  joinAsFake,
  launchCoordinator,
  RawConnection,
  type CoordinatorProcess,
} from './helpers/coordinator.js';
import { killAll, startWorker } from './helpers/processes.js';
import { startRelay } from './helpers/relay.js';

const TOKEN = 'session-security-integration-token';
/** Far more epochs than the test waits for: it stops the run with SIGTERM once it has seen it train on. */
const EPOCHS = 100_000;
const RUN = [
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '16',
  '--epochs',
  String(EPOCHS),
  '--batch-size',
  '50',
  '--seed',
  '5',
];

if (NO_DIGITS) console.warn(`skipping session-security: ${SHARED_DATA_MISSING}`);

describe.skipIf(NO_DIGITS)('gradswarm coordinator against relays, tampering and hostile hellos', () => {
  let c: CoordinatorProcess;
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    c = await launchCoordinator([
      ...RUN,
      '--local-threads',
      '1',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
      '--out',
      join(dir, 'model.json'),
    ]);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('refuses a real worker that dialled a relay: the MAC names the relay, the worker stops with the reason, nobody joins', async () => {
    const relay = await startRelay(c.url);
    try {
      const w = startWorker(relay.url, TOKEN, ['--threads', '1', '--data-cache', 'none', '--label', 'relayed']);
      expect(await w.exited, w.stderr()).toBe(2);
      expect(w.stderr()).toMatch(
        new RegExp(
          `^gradswarm: error: the coordinator refused this worker: the worker dialled ${relay.url.replace(/\./g, '\\.')}, not an address of this coordinator`,
          'm',
        ),
      );
      // The relay saw the challenge and the refusal, never a welcome.
      expect(relay.fromCoordinator.map((m) => m.t)).toEqual(['challenge', 'error']);
      await c.waitFor(
        new RegExp(`^refused 127\\.0\\.0\\.1:\\d+: the worker dialled ${relay.url.replace(/\./g, '\\.')}`, 'm'),
      );
      expect(await getStatus(c.httpUrl)).toMatchObject({ state: 'waiting', workers: [] });
    } finally {
      await relay.close();
    }
  });

  it('refuses a relay that rewrites the dialled address to the real one: the MAC no longer verifies', async () => {
    const rewrite = (frame: Uint8Array): Uint8Array => {
      const m = decodeMessage(frame, DEFAULT_PROTOCOL_LIMITS) as Message;
      return m.t === 'auth' ? encodeMessage({ ...m, dialled: normalizeDialled(c.url) }) : frame;
    };
    const relay = await startRelay(c.url, rewrite);
    try {
      const w = startWorker(relay.url, TOKEN, ['--threads', '1', '--data-cache', 'none']);
      expect(await w.exited, w.stderr()).toBe(2);
      expect(w.stderr()).toMatch(/^gradswarm: error: the coordinator refused this worker: wrong token$/m);
      expect(relay.fromCoordinator.map((m) => m.t)).toEqual(['challenge', 'error']);
      expect(await getStatus(c.httpUrl)).toMatchObject({ state: 'waiting', workers: [] });
    } finally {
      await relay.close();
    }
  });

  it('refuses a later message tampered with in flight: error GS_ERR_AUTH, close 1008, the run goes on', async () => {
    const fake = await joinAsFake(c.url, TOKEN, c.backend, 'tampered');
    const step = await fake.conn.next('step');
    // Version 4: the gradient's tensor frame first, then the result that counts it.
    const [frame, message] = await fake.session.result(step, {
      grads: [new Float32Array(c.parameterCount)],
      lossSums: [1],
      counts: [step.shards.reduce((a, s) => a + s.count, 0)],
      computeMs: 1,
    });
    const bytes = (frame as { bytes: Uint8Array }).bytes;
    // One bit in the middle of the gradient's tensor frame: still a finite float, but not what was signed.
    bytes[bytes.byteLength >> 1] ^= 1;
    fake.conn.sendFrame(bytes);
    fake.conn.sendFrame((message as { bytes: Uint8Array }).bytes);
    const error = await fake.conn.next('error');
    expect(error.code).toBe('GS_ERR_AUTH');
    expect((await fake.conn.closed).code).toBe(1008);
    await c.waitFor(
      new RegExp(`^refused worker ${fake.welcome.workerId}: tensor frame whose MAC does not verify`, 'm'),
    );
  });

  it('refuses hellos with a 1100-character non-ASCII label or backend during training within 123 bytes, and trains on', async () => {
    await c.waitFor(new RegExp(`^epoch 2/${EPOCHS}: `, 'm'));
    for (const field of ['label', 'backend'] as const) {
      const conn = await RawConnection.open(c.url);
      conn.send({
        t: 'hello',
        version: PROTOCOL_VERSION,
        threads: 1,
        backend: c.backend,
        label: 'x',
        [field]: 'é'.repeat(1100),
      } as Message);
      const closed = await conn.closed;
      expect(closed.code).toBe(4002);
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
      expect(closed.reason).toContain(`hello.${field}`);
    }
    const seen = c
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('epoch ')).length;
    await c.waitFor(new RegExp(`^epoch ${seen + 2}/${EPOCHS}: `, 'm'));
    expect(c.child.exitCode).toBeNull();
    c.child.kill('SIGTERM');
    expect(await c.exited, c.stderr()).toBe(130);
  });

  it('refuses a user-chosen token under 16 characters in one line naming --token', async () => {
    const r = await runCli([
      'coordinator',
      ...RUN,
      '--token',
      'sunshine1',
      '--port',
      '0',
      '--no-progress',
      '--out',
      join(dir, 'never.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'gradswarm: error: --token must be at least 16 characters, got 9 - help: leave it out to have one generated',
    );
  });
});
