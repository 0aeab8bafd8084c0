import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  measureRun,
  modelFromLog,
  scaleResults,
  stepSampleCounts,
  trainCountFromLog,
  type MetricsFile,
} from '../src/measure.js';
import { UsageError } from '../src/errors.js';
import type { MeasuredRun } from '../src/types.js';

// Recorded once from a real run: `gradswarm coordinator --local-threads 0 --min-workers 2
// --steps 10 --batch-size 1000 --layers 32 --balance equal --metrics …` with two
// `gradswarm worker --threads 1` processes (the metrics file without its `report` images).
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const metrics = JSON.parse(fixture('scale-w2-metrics.json')) as MetricsFile;
const log = fixture('scale-w2-coordinator.log');
const timing = metrics.minibatchTiming;
const WARMUP = 2;

describe('stepSampleCounts', () => {
  it('walks the epoch’s batches, the remainder last, then the next epoch', () => {
    expect(stepSampleCounts(2500, 1000, 7)).toEqual([1000, 1000, 500, 1000, 1000, 500, 1000]);
    expect(stepSampleCounts(8000, 1000, 10)).toEqual(new Array(10).fill(1000));
  });
});

describe('trainCountFromLog / modelFromLog', () => {
  it('read the training-set size and the model from a coordinator’s stderr', () => {
    expect(trainCountFromLog(log)).toBe(8000);
    expect(modelFromLog(log)).toEqual({ layers: [784, 32, 10], parameters: 25450 });
  });

  it('fall back to the data line when there is no split, and say when neither is there', () => {
    expect(trainCountFromLog('data: csv:x.csv, 150 samples x 4 features, 3 classes\n')).toBe(150);
    expect(() => trainCountFromLog('nothing here')).toThrow(/training-set size/);
    expect(() => modelFromLog('nothing here')).toThrow(/model/);
  });
});

describe('measureRun on a recorded run', () => {
  const samples = stepSampleCounts(trainCountFromLog(log), metrics.run.options!.batchSize!, timing.length);
  const run = measureRun(timing, WARMUP, samples);
  const measured = timing.slice(WARMUP);
  const mean = (f: (t: (typeof timing)[number]) => number): number =>
    measured.reduce((a, t) => a + f(t), 0) / measured.length;

  it('is a 10-step, batch-1000 run of two workers', () => {
    expect(timing).toHaveLength(10);
    expect(metrics.run.options?.batchSize).toBe(1000);
  });

  it('counts samples over the measured steps’ own wall time', () => {
    expect(run.measuredSteps).toBe(8);
    expect(run.samplesPerStep).toBe(1000);
    const wallMs = measured.reduce((a, t) => a + t.totalMs, 0);
    expect(run.samplesPerSecond).toBeCloseTo((8 * 1000 * 1000) / wallMs, 9);
  });

  it('breaks the step into parts that sum to the step time exactly', () => {
    const s = run.stepMs;
    expect(s.totalMs).toBeCloseTo(
      mean((t) => t.totalMs),
      3,
    );
    expect(s.computeMaxMs).toBeCloseTo(
      mean((t) => t.computeMaxMs),
      3,
    );
    expect(s.computeMeanMs).toBeCloseTo(
      mean((t) => t.computeMeanMs),
      3,
    );
    expect(s.reduceUpdateMs).toBeCloseTo(
      mean((t) => t.reduceUpdateMs),
      3,
    );
    expect(s.computeMaxMs + s.reduceUpdateMs + s.communicationMs).toBeCloseTo(s.totalMs, 9);
    expect(s.communicationMs).toBeGreaterThan(0);
    expect(s.computeMeanMs).toBeLessThanOrEqual(s.computeMaxMs);
  });

  it('leaves the warm-up out of the traffic: the first step carried the data-set downloads', () => {
    expect(timing[0].sentBytes).toBeGreaterThan(10e6);
    expect(run.bytesPerStep.sent).toBe(Math.round(mean((t) => t.sentBytes)));
    expect(run.bytesPerStep.received).toBe(Math.round(mean((t) => t.receivedBytes)));
    // Two workers: the weights out to each and a gradient back from each, 4 bytes a parameter.
    expect(run.bytesPerStep.sent).toBeGreaterThan(2 * 4 * 25450);
    expect(run.bytesPerStep.sent).toBeLessThan(2 * 4 * 25450 * 1.05);
  });

  it('refuses a warm-up that leaves no step', () => {
    expect(() => measureRun(timing, 10, samples)).toThrow(UsageError);
    expect(() => measureRun(timing, 10, samples)).toThrow(/none left after 10 warm-up steps - help: raise --steps/);
  });
});

describe('scaleResults', () => {
  const run = (samplesPerSecond: number): MeasuredRun => ({
    samplesPerSecond,
    stepMs: { totalMs: 1, computeMaxMs: 0.5, computeMeanMs: 0.5, reduceUpdateMs: 0.2, communicationMs: 0.3 },
    bytesPerStep: { sent: 1, received: 1 },
    measuredSteps: 1,
    samplesPerStep: 1000,
  });

  it('gives W = 1 a speedup of 1 and every row efficiency = speedup / W', () => {
    const rows = scaleResults(
      new Map([
        [4, run(2500)],
        [1, run(1000)],
        [2, run(1800)],
      ]),
      1,
    );
    expect(rows.map((r) => r.workers)).toEqual([1, 2, 4]);
    expect(rows[0].speedup).toBe(1);
    expect(rows[0].efficiency).toBe(1);
    expect(rows[1].speedup).toBeCloseTo(1.8, 12);
    for (const r of rows) expect(r.efficiency).toBeCloseTo(r.speedup / r.workers, 12);
  });

  it('sets each row against train with workers × threads threads', () => {
    const rows = scaleResults(
      new Map([
        [1, run(1000)],
        [2, run(1500)],
      ]),
      2,
      new Map([
        [2, 1250],
        [4, 3000],
      ]),
    );
    expect(rows[0]).toMatchObject({ singleNodeSamplesPerSecond: 1250, vsSingleNode: 0.8 });
    expect(rows[1]).toMatchObject({ singleNodeSamplesPerSecond: 3000, vsSingleNode: 0.5 });
  });

  it('needs a one-worker run', () => {
    expect(() => scaleResults(new Map([[2, run(1)]]), 1)).toThrow(/W = 1/);
  });
});
