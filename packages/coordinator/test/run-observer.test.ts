import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { createRun } from '../src/create-run.js';
import { PrometheusMetrics } from '../src/prometheus-metrics.js';
import { flagStragglers, RunObserver } from '../src/run-observer.js';
import { TraceRecorder } from '../src/trace-recorder.js';

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

function makeRun() {
  return createRun({
    spec,
    data: { train: samples(40, 2), test: samples(12, 3), fingerprint: 'f', name: 'd' },
    training: { epochs: 3, batchSize: 10, learningRate: 0.5, seed: 5, reproducible: 4 },
    threads: 2,
    backend: referenceBackend,
    evaluateEvery: 1,
    log: () => undefined,
  });
}

describe('flagStragglers', () => {
  it('flags values above 1.5 times the median, only with two values or more', () => {
    expect(flagStragglers([])).toEqual([]);
    expect(flagStragglers([100])).toEqual([false]);
    expect(flagStragglers([1, 1, 1, 1.6])).toEqual([false, false, false, true]);
    expect(flagStragglers([1, 1, 1.5])).toEqual([false, false, false]);
    expect(flagStragglers([1, 3.1])).toEqual([false, true]); // the median of two is their mean
    expect(flagStragglers([0, 0, 5])).toEqual([false, false, false]); // no median to compare with
    expect(flagStragglers([2, 2, 3], 1.2)).toEqual([false, false, true]);
  });
});

describe('RunObserver, PrometheusMetrics and TraceRecorder on a local run', () => {
  it('follow every step, epoch and source, and leave the trained bits as they were', async () => {
    const plain = await makeRun();
    let plainParams: Buffer;
    try {
      await plain.start();
      plainParams = Buffer.from(bytes((await plain.run()).params));
    } finally {
      await plain.close('finished');
    }

    const run = await makeRun();
    const observer = new RunObserver(run.coordinator);
    const metrics = new PrometheusMetrics(run.coordinator, 2);
    const trace = new TraceRecorder(run.events);
    const window = new TraceRecorder(run.events, { fromStep: 2, toStep: 3 });
    let result;
    try {
      await run.start();
      result = await run.run();
    } finally {
      await run.close('finished');
    }
    expect(bytes(result.params).equals(plainParams)).toBe(true);

    const snap = observer.snapshot();
    expect(snap.format).toBe('gradswarm-dashboard');
    expect(snap.totalSteps).toBe(12);
    expect(snap.costs).toHaveLength(12);
    expect(snap.phases.map((p) => p.step)).toEqual([...Array(12).keys()]);
    expect(snap.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(snap.epochs.every((e) => e.trainAccuracy !== null && e.testAccuracy !== null)).toBe(true);
    expect(snap.workers.map((w) => [w.kind, w.state, w.threads, w.backend])).toEqual([
      ['thread', 'READY', 1, 'reference'],
      ['thread', 'READY', 1, 'reference'],
    ]);
    expect(snap.workers.every((w) => w.computeMs >= 0 && w.samplesPerSecond > 0)).toBe(true);
    expect(snap.membership).toEqual([]);

    const text = await metrics.text();
    expect(text).toMatch(/^gradswarm_steps_total 12$/m);
    expect(text).toMatch(/^gradswarm_samples_total 120$/m);
    expect(text).toMatch(/^gradswarm_epochs_total 3$/m);
    expect(text).toMatch(/^gradswarm_step_phase_seconds_count\{phase="step"\} 12$/m);
    expect(text).toMatch(/^gradswarm_local_threads 2$/m);
    expect(text).toMatch(/^gradswarm_accuracy\{set="test"\} [\d.]+$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    metrics.close();

    const doc = JSON.parse(trace.toJson());
    const tracks = doc.traceEvents.filter((e: { name: string }) => e.name === 'thread_name');
    expect(tracks.map((e: { tid: number }) => e.tid)).toEqual([0, 1, 2]);
    const spans = (tid: number, name: string) =>
      doc.traceEvents.filter(
        (e: { ph: string; tid: number; name: string }) => e.ph === 'X' && e.tid === tid && e.name === name,
      );
    expect(spans(0, 'step 1')).toHaveLength(1);
    expect(spans(0, 'reduce+update')).toHaveLength(12);
    for (const tid of [1, 2]) {
      expect(spans(tid, 'compute')).toHaveLength(12);
      expect(spans(tid, 'send+wait')).toHaveLength(12);
    }
    const [step] = spans(0, 'step 5');
    const [update] = spans(0, 'reduce+update').slice(4, 5);
    expect(update.ts).toBeGreaterThanOrEqual(step.ts);
    expect(update.ts + update.dur).toBeLessThanOrEqual(step.ts + step.dur + 1);

    const windowed = window.document().traceEvents.filter((e) => e.ph === 'X' && e.tid === 0);
    expect(windowed.filter((e) => e.name.startsWith('step ')).map((e) => e.name)).toEqual(['step 2', 'step 3']);
    expect(() => new TraceRecorder(run.events, { fromStep: 3, toStep: 2 })).toThrow(RangeError);
    observer.close();
  });
});
