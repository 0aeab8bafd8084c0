import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { createRun, DEFAULT_RUN_OPTIONS, resolveRunOptions } from '../src/create-run.js';
import { MetricsRecorder } from '../src/metrics-recorder.js';
import { RunEvents, type StepEvent } from '../src/run-events.js';

const spec: ModelSpec = { layers: [6, 5, 3], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };

function samples(count: number, seed: number): LabeledSamples {
  const rng = new Rng(seed);
  return {
    features: Float32Array.from({ length: count * 6 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 6,
    classCount: 3,
  };
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('RunEvents', () => {
  it('delivers each event to its type’s listeners in subscription order, until unsubscribed', () => {
    const events = new RunEvents();
    const seen: string[] = [];
    const offA = events.on('left', (e) => seen.push(`a:${e.id}`));
    events.on('left', (e) => seen.push(`b:${e.id}`));
    events.on('joined', (e) => seen.push(`joined:${e.id}`));
    events.emit('left', { id: 1, name: 'w', reason: 'bye' });
    offA();
    offA(); // twice is harmless
    events.emit('left', { id: 2, name: 'w', reason: 'bye' });
    events.emit('dropped', { id: 3, name: 'w', reason: 'lost' }); // no listener
    expect(seen).toEqual(['a:1', 'b:1', 'b:2']);
  });

  it('lets a listener unsubscribe itself while the event is delivered', () => {
    const events = new RunEvents();
    const seen: number[] = [];
    const off = events.on('left', () => {
      seen.push(1);
      off();
    });
    events.on('left', () => seen.push(2));
    events.emit('left', { id: 1, name: 'w', reason: '' });
    events.emit('left', { id: 1, name: 'w', reason: '' });
    expect(seen).toEqual([1, 2, 2]);
  });
});

describe('createRun', () => {
  it('fills in the network defaults only for a network run', () => {
    const base = {
      spec,
      data: { train: samples(10, 1), fingerprint: 'f', name: 'd' },
      training: {},
      threads: 1,
      backend: referenceBackend,
      log: () => undefined,
    };
    expect(resolveRunOptions(base).network).toBeUndefined();
    expect(resolveRunOptions(base).evaluateEvery).toBe(0);
    const net = resolveRunOptions({ ...base, network: { port: 0, token: 't', stepTimeoutMs: 7 } }).network!;
    expect(net).toMatchObject({
      port: 0,
      token: 't',
      stepTimeoutMs: 7,
      host: DEFAULT_RUN_OPTIONS.network.host,
      heartbeatIntervalMs: DEFAULT_RUN_OPTIONS.network.heartbeatIntervalMs,
    });
  });

  it('runs on local threads, emitting every step and epoch in order with the evaluation due', async () => {
    const train = samples(40, 2);
    const test = samples(12, 3);
    const lines: string[] = [];
    const run = await createRun({
      spec,
      data: { train, test, fingerprint: 'f', name: 'd' },
      training: { epochs: 3, batchSize: 10, learningRate: 0.5, seed: 5 },
      threads: 2,
      backend: referenceBackend,
      evaluateEvery: 2,
      log: (l) => lines.push(l),
    });
    expect(run.pool?.lanes.length).toBe(1); // threads - 1 pool lanes plus this thread
    const order: string[] = [];
    const steps: StepEvent[] = [];
    const recorder = new MetricsRecorder({});
    recorder.subscribe(run.events);
    run.events.on('step', (e) => {
      steps.push(e);
      order.push(`step ${e.step}`);
    });
    run.events.on('epoch', (e) => order.push(`epoch ${e.epoch}${e.evaluation ? ' evaluated' : ''}`));
    let result;
    try {
      expect(await run.start()).toBeNull();
      result = await run.run();
    } finally {
      await run.close('finished');
    }
    expect(result.steps).toBe(12);
    expect(steps.map((s) => s.step)).toEqual([...Array(12).keys()]);
    expect(order).toEqual([
      'step 0',
      'step 1',
      'step 2',
      'step 3',
      'epoch 0',
      'step 4',
      'step 5',
      'step 6',
      'step 7',
      'epoch 1 evaluated',
      'step 8',
      'step 9',
      'step 10',
      'step 11',
      'epoch 2 evaluated',
    ]);
    expect(steps.every((s) => s.traffic.sentBytes === 0 && s.traffic.receivedBytes === 0)).toBe(true);
    expect(recorder.document.minibatchCost).toEqual(steps.map((s) => s.cost));
    expect(recorder.document.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(recorder.document.epochs[0]!.trainAccuracy).toBeUndefined();
    expect(recorder.document.epochs[1]!.testAccuracy).toEqual(expect.any(Number));
    expect(lines).toEqual([]);
  });

  it('stops delivering to an unsubscribed listener, and trains the same bits as another run', async () => {
    const train = samples(30, 4);
    const make = () =>
      createRun({
        spec,
        data: { train, fingerprint: 'f', name: 'd' },
        training: { epochs: 2, batchSize: 10, seed: 6 },
        threads: 1,
        backend: referenceBackend,
        log: () => undefined,
      });
    const a = await make();
    let seen = 0;
    const off = a.events.on('step', () => {
      if (++seen === 2) off();
    });
    const ra = await a.run();
    await a.close('finished');
    expect(ra.steps).toBe(6);
    expect(seen).toBe(2);
    const b = await make();
    const rb = await b.run();
    await b.close('finished');
    expect(bytes(rb.params)).toEqual(bytes(ra.params));
  });

  it('refuses a run with no thread and no network', async () => {
    await expect(
      createRun({
        spec,
        data: { train: samples(10, 1), fingerprint: 'f', name: 'd' },
        training: {},
        threads: 0,
        backend: referenceBackend,
        log: () => undefined,
      }),
    ).rejects.toThrow('a run without a network needs at least one local thread');
  });
});
