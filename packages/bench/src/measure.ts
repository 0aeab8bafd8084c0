/**
 * The bench's arithmetic, kept apart from processes so tests can run it on a recorded metrics
 * file: which steps count (the first `warmup` are dropped: JIT, data download, first weights),
 * samples/s over the measured steps' own wall time, the per-step breakdown whose parts sum to
 * the step time, and speedup / efficiency across worker counts.
 */
import { roundSteps, type StepRecord } from '@gradswarm/coordinator';
import { batchSizesBySize } from '@gradswarm/data';
import { BenchError, UsageError } from './errors.js';
import type { MeasuredRun, ScaleResult } from './types.js';

/** One step's record in a metrics file (`minibatchTiming`), as the coordinator writes it. */
export type StepTiming = StepRecord;

/** The part of a metrics file (`--metrics FILE`) the bench reads. */
export interface MetricsFile {
  readonly format: 'gradswarm-metrics';
  readonly minibatchTiming: readonly StepTiming[];
  readonly run: {
    readonly options?: { readonly batchSize?: number };
    readonly spec?: { readonly layers?: readonly number[] };
  };
}

/** Rounds to 1 µs (metrics files hold ms with 3 decimals). */
const roundMs = (x: number): number => Math.round(x * 1000) / 1000;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Samples of each step of a run: steps walk the epoch's batches in order, `batchSize` each and
 * the remainder last (the trainer's plan for --batch-size).
 * @param trainCount samples in the training set
 */
export function stepSampleCounts(trainCount: number, batchSize: number, steps: number): number[] {
  const sizes = batchSizesBySize(trainCount, batchSize);
  return Array.from({ length: steps }, (_, s) => sizes[s % sizes.length]);
}

/** One record of a local-SGD run's metrics: a round of `steps` inner steps over `samples` samples. */
export interface RoundRecord {
  readonly steps: number;
  readonly samples: number;
}

/**
 * The rounds of a local-SGD run (`coordinator --sync-every H`) as its trainer takes them
 * (coordinator's roundSteps): H of the run's batches, across epoch ends, stopping at `totalSteps`
 * inner steps. Its metrics hold one record per round.
 */
export function roundRecords(
  trainCount: number,
  batchSize: number,
  totalSteps: number,
  syncEvery: number,
): RoundRecord[] {
  const sizes = batchSizesBySize(trainCount, batchSize);
  const rounds: RoundRecord[] = [];
  const at = { epoch: 0, batch: 0, step: 0 };
  while (at.step < totalSteps) {
    const steps = roundSteps(at, syncEvery, sizes.length, Number.POSITIVE_INFINITY, totalSteps);
    rounds.push({ steps: steps.length, samples: steps.reduce((a, s) => a + sizes[s.batch], 0) });
    at.step += steps.length;
    const last = steps[steps.length - 1];
    at.epoch = last.epoch + (last.batch + 1 === sizes.length ? 1 : 0);
    at.batch = (last.batch + 1) % sizes.length;
  }
  return rounds;
}

/**
 * A local-SGD run's figures per inner step: its measured records are rounds of `stepsPerRound`
 * inner steps on average, so the step time, its parts and the bytes are divided by it
 * (samples/s needs nothing: it is over the same wall time).
 */
export function perInnerStep(run: MeasuredRun, stepsPerRound: number): MeasuredRun {
  if (stepsPerRound === 1) return run;
  const syncEvery = stepsPerRound;
  const per = (x: number): number => roundMs(x / syncEvery);
  const m = run.stepMs;
  const stepMs = {
    totalMs: per(m.totalMs),
    computeMaxMs: per(m.computeMaxMs),
    computeMeanMs: per(m.computeMeanMs),
    reduceUpdateMs: per(m.reduceUpdateMs),
    communicationMs: roundMs(per(m.totalMs) - per(m.computeMaxMs) - per(m.reduceUpdateMs)),
  };
  return {
    ...run,
    stepMs,
    bytesPerStep: {
      sent: Math.round(run.bytesPerStep.sent / syncEvery),
      received: Math.round(run.bytesPerStep.received / syncEvery),
    },
    measuredSteps: Math.round(run.measuredSteps * syncEvery),
    samplesPerStep: run.samplesPerStep / syncEvery,
  };
}

/**
 * The measured figures of one run.
 * @param timing every step of the run, in order
 * @param warmup how many leading steps to drop
 * @param samples samples of every step (parallel to `timing`)
 * @throws UsageError if no step is left after the warm-up
 */
export function measureRun(timing: readonly StepTiming[], warmup: number, samples: readonly number[]): MeasuredRun {
  const measured = timing.slice(warmup);
  if (measured.length === 0)
    throw new UsageError(
      `the run has ${timing.length} steps, none left after ${warmup} warm-up steps - help: raise --steps`,
    );
  if (samples.length !== timing.length)
    throw new RangeError(`samples has ${samples.length} entries for ${timing.length} steps`);
  const wallMs = measured.reduce((a, t) => a + t.totalMs, 0);
  const sampleSum = samples.slice(warmup).reduce((a, b) => a + b, 0);
  const totalMs = roundMs(mean(measured.map((t) => t.totalMs)));
  const computeMaxMs = roundMs(mean(measured.map((t) => t.computeMaxMs)));
  const reduceUpdateMs = roundMs(mean(measured.map((t) => t.reduceUpdateMs)));
  return {
    samplesPerSecond: wallMs > 0 ? (sampleSum * 1000) / wallMs : 0,
    stepMs: {
      totalMs,
      computeMaxMs,
      computeMeanMs: roundMs(mean(measured.map((t) => t.computeMeanMs))),
      reduceUpdateMs,
      // The remainder, so the parts add up to the step exactly (in 1 µs units).
      communicationMs: roundMs(totalMs - computeMaxMs - reduceUpdateMs),
    },
    bytesPerStep: {
      sent: Math.round(mean(measured.map((t) => t.sentBytes))),
      received: Math.round(mean(measured.map((t) => t.receivedBytes))),
    },
    measuredSteps: measured.length,
    samplesPerStep: sampleSum / measured.length,
  };
}

/**
 * Rows of the scale-out table: speedup over the W = 1 run and efficiency = speedup / W, and the
 * single-node figure for the same total thread count where one was measured.
 * @param runs measured runs by worker count; must include W = 1
 * @param singleNode samples/s of `train` by thread count
 * @throws RangeError without a W = 1 run
 */
export function scaleResults(
  runs: ReadonlyMap<number, MeasuredRun>,
  threads: number,
  singleNode: ReadonlyMap<number, number> = new Map(),
): ScaleResult[] {
  const base = runs.get(1);
  if (!base) throw new RangeError('speedup is measured over W = 1: the runs must include one worker');
  return [...runs.keys()]
    .sort((a, b) => a - b)
    .map((workers) => {
      const run = runs.get(workers)!;
      const speedup = base.samplesPerSecond > 0 ? run.samplesPerSecond / base.samplesPerSecond : 0;
      const single = singleNode.get(workers * threads);
      return {
        workers,
        threads,
        ...run,
        speedup,
        efficiency: speedup / workers,
        ...(single === undefined
          ? {}
          : { singleNodeSamplesPerSecond: single, vsSingleNode: single > 0 ? run.samplesPerSecond / single : 0 }),
      };
    });
}

/**
 * The training-set size a `train`/`coordinator` run reports on stderr: the `split: N train` line,
 * or with a separate --test set the `data: …, N samples x` line.
 * @throws Error if neither line is there
 */
export function trainCountFromLog(stderr: string): number {
  const split = /^split: (\d+) train/m.exec(stderr);
  if (split) return Number(split[1]);
  const data = /^data: .*?, (\d+) samples x/m.exec(stderr);
  if (data) return Number(data[1]);
  throw new BenchError('the run did not report its training-set size (no "split:" or "data:" line on stderr)');
}

/** `model: 784-512-10 relu/softmax+ce, 407050 parameters; kernel backend: native-avx2; …` → layers and P. */
export function modelFromLog(stderr: string): { layers: number[]; parameters: number } {
  const m = /^model: ([\d-]+) \S+, (\d+) parameters/m.exec(stderr);
  if (!m) throw new BenchError('the run did not report its model (no "model:" line on stderr)');
  return { layers: m[1].split('-').map(Number), parameters: Number(m[2]) };
}
