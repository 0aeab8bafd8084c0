/**
 * GET /status on the coordinator's port: JSON about the run and every worker, for humans and
 * scripts watching a run (issue: coordinator and remote WebSocket workers). The coordinator
 * waits for two workers, so the state after one joins holds still while the test reads it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, SHARED_DATA_MISSING } from './helpers/cli.js';
import { getStatus, httpGetText, launchCoordinator, type CoordinatorProcess } from './helpers/coordinator.js';
import { killAll, startWorker, type Running } from './helpers/processes.js';

const TOKEN = 'status-integration-token';
const RUN = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'];

if (NO_DIGITS) console.warn(`skipping status.integration: ${SHARED_DATA_MISSING}`);

describe.skipIf(NO_DIGITS)('GET /status of gradswarm coordinator', () => {
  let dir: string;
  let c: CoordinatorProcess;
  const workers: Running[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    c = await launchCoordinator([...RUN, '--local-threads', '0', '--min-workers', '2', '--token', TOKEN]);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('answers 200 JSON with state "waiting", step 0 and no workers before anyone joins', async () => {
    const reply = await httpGetText(`${c.httpUrl}/status`);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toMatchObject({ state: 'waiting', step: 0, workers: [] });
  });

  it('answers 404 JSON for any other path (/ is the dashboard, see dashboard.integration.test.ts)', async () => {
    for (const path of ['/other', '/status/x']) {
      const reply = await httpGetText(`${c.httpUrl}${path}`);
      expect(reply.status, path).toBe(404);
      expect(reply.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(reply.body)).toHaveProperty('error');
    }
  });

  it('lists a worker that joined with its id, name, state, threads, backend, samplesPerSecond and lastSeenMsAgo', async () => {
    workers.push(startWorker(c.url, TOKEN, ['--threads', '1', '--label', 'first', '--data-cache', join(dir, 'cache')]));
    const [, id] = await c.waitFor(/^worker (\d+) \(first, 1 thread, [^)]+\) joined/m);
    const status = await getStatus(c.httpUrl);
    expect(status.state).toBe('waiting');
    expect(status.step).toBe(0);
    expect(status.workers).toHaveLength(1);
    const w = status.workers[0];
    expect(w).toMatchObject({ id: Number(id), name: 'first', state: 'READY', threads: 1, backend: c.backend });
    expect(typeof w.samplesPerSecond).toBe('number');
    expect(w.lastSeenMsAgo).toBeGreaterThanOrEqual(0);
  });

  it('lets the run finish once the second worker joins; all exit 0', async () => {
    workers.push(
      startWorker(c.url, TOKEN, ['--threads', '1', '--label', 'second', '--data-cache', join(dir, 'cache')]),
    );
    expect(await c.exited, c.stderr()).toBe(0);
    for (const w of workers) {
      expect(await w.exited, w.stderr()).toBe(0);
      expect(w.stderr()).toMatch(/the run is finished/);
    }
  });
});
