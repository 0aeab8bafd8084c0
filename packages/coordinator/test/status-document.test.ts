import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng, selectBackend, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { fingerprint } from '@gradswarm/data';
import { WorkerClient } from '@gradswarm/worker/node';
import { Coordinator } from '../src/coordinator.js';
import { listen } from '../src/coordinator-listener.js';
import { sendJson } from '../src/http-routes.js';
import { STATUS_FORMAT, STATUS_VERSION, type StatusDocument, type WorkerStatus } from '../src/status-document.js';

const spec: ModelSpec = { layers: [4, 5, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };
const TOKEN = 'status-document-test-token';
const data: LabeledSamples = (() => {
  const rng = new Rng(3);
  return {
    features: Float32Array.from({ length: 30 * 4 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: 30 }, () => rng.nextInt(3)),
    count: 30,
    featureCount: 4,
    classCount: 3,
  };
})();

/** What each field of the document is; typed by the interface, so a field added there must be added here. */
const STATUS_FIELDS: Record<keyof StatusDocument, string> = {
  format: 'string',
  version: 'number',
  state: 'string',
  step: 'number',
  epoch: 'number',
  epochs: 'number',
  batch: 'number',
  batchesPerEpoch: 'number',
  cost: 'number|null',
  samplesPerSecond: 'number',
  reproducible: 'number|null',
  localThreads: 'number',
  workers: 'array',
  workersAdmitted: 'number',
  workersDeparted: 'number',
  unauthenticatedConnections: 'number',
};
const WORKER_FIELDS: Record<keyof WorkerStatus, string> = {
  id: 'number',
  name: 'string',
  state: 'string',
  threads: 'number',
  kind: 'string',
  backend: 'string',
  samplesPerSecond: 'number',
  stepsServed: 'number',
  lastSeenMsAgo: 'number',
};
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
function expectShape(value: Record<string, unknown>, fields: Record<string, string>): void {
  expect(Object.keys(value).sort()).toEqual(Object.keys(fields).sort());
  for (const [name, type] of Object.entries(fields)) expect(type.split('|'), name).toContain(kind(value[name]));
}

function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

let coordinator: Coordinator | null = null;
afterEach(async () => {
  await coordinator?.close('finished');
  coordinator = null;
});

describe('GET /status (StatusDocument)', () => {
  it('serves the typed document, with each worker as a WorkerStatus, beside a route added to the listener before the coordinator started', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0, openFileLimit: null });
    // A dashboard-like route, added without touching the coordinator's server.
    listener.routes.get('/', (_req, res) => sendJson(res, 200, { dashboard: true }));
    const network = { host: '127.0.0.1', port: 0, token: TOKEN, stepTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 };
    coordinator = new Coordinator({
      spec,
      data,
      dataFingerprint: fingerprint(data),
      dataName: 'test',
      training: { epochs: 1, batchSize: 10 },
      local: [],
      backend: selectBackend().name,
      network,
      listener,
      log: () => undefined,
    });
    const url = (await coordinator.start())!;
    const base = url.replace(/^ws/, 'http');

    const before = await getJson(`${base}/status`);
    expect(before.status).toBe(200);
    const doc = before.body as StatusDocument;
    expectShape(doc as unknown as Record<string, unknown>, STATUS_FIELDS);
    expect(doc).toMatchObject({
      format: STATUS_FORMAT,
      version: STATUS_VERSION,
      state: 'starting',
      step: 0,
      cost: null,
      workers: [],
      workersAdmitted: 0,
      workersDeparted: 0,
      unauthenticatedConnections: 0,
    });
    expect((await getJson(`${base}/`)).body).toEqual({ dashboard: true });

    const worker = new WorkerClient({
      url,
      token: TOKEN,
      threads: 1,
      label: 'status-worker',
      log: () => undefined,
      giveUpAfterMs: 5_000,
    });
    const served = worker.run();
    await coordinator.waitForWorkers(1);
    const result = await coordinator.run();
    const after = (await getJson(`${base}/status`)).body as StatusDocument;
    expectShape(after as unknown as Record<string, unknown>, STATUS_FIELDS);
    expect(after).toMatchObject({
      state: 'finished',
      step: result.steps,
      epoch: 1,
      batch: 3,
      batchesPerEpoch: 3,
      workersAdmitted: 1,
    });
    expect(typeof after.cost).toBe('number');
    expect(after.workers).toHaveLength(1);
    expectShape(after.workers[0] as unknown as Record<string, unknown>, WORKER_FIELDS);
    expect(after.workers[0]).toMatchObject({
      id: 1,
      name: 'status-worker',
      state: 'READY',
      threads: 1,
      kind: 'node',
      stepsServed: result.steps,
    });
    await coordinator.close('finished');
    coordinator = null;
    expect((await served).reason).toBe('finished');
  });
});
