/**
 * Collects what a training run reports — the cost of every minibatch, per-epoch averages and
 * accuracies — into the metrics document written by `--metrics FILE` (and later turned into
 * reports). Plain JSON, one object.
 */
import type { ReportData } from './report-data.js';
import type { RunEvents, Unsubscribe } from './run-events.js';
import type { StepInfo } from './trainer.js';

export interface EpochRecord {
  readonly epoch: number;
  /** Mean of the epoch's minibatch costs. */
  readonly cost: number;
  readonly learningRate: number;
  readonly trainAccuracy?: number;
  readonly testAccuracy?: number;
  readonly testCost?: number;
  /** J on the held-out validation set (--validation-fraction). */
  readonly validationCost?: number;
  /** Training time at the end of this epoch. */
  readonly trainingMs: number;
}

/** One step's time and traffic, as benchmarks read it. */
export interface StepRecord {
  readonly totalMs: number;
  /** Slowest and mean compute time of the sources that took part. */
  readonly computeMaxMs: number;
  readonly computeMeanMs: number;
  readonly reduceUpdateMs: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
}

export interface MetricsDocument {
  readonly format: 'gradswarm-metrics';
  readonly version: 1;
  readonly run: Record<string, unknown>;
  /** Cost of every minibatch, in step order. */
  readonly minibatchCost: number[];
  /** Epoch of every minibatch (parallel to minibatchCost). */
  readonly minibatchEpoch: number[];
  /** Who computed each minibatch's shards, in shard order (parallel to minibatchCost). */
  readonly minibatchParticipants: string[][];
  /** Where each step's time went and the coordinator's traffic (parallel to minibatchCost). */
  readonly minibatchTiming: StepRecord[];
  /**
   * Full-batch optimizers (a step is an iteration): the evaluations of J and ∇J done by the end
   * of each step (parallel to minibatchCost).
   */
  minibatchEvaluations?: number[];
  readonly epochs: EpochRecord[];
  summary: Record<string, unknown>;
  /** Images and matrices for the training report (present once the run has ended). */
  report?: ReportData;
}

export class MetricsRecorder {
  readonly document: MetricsDocument;
  private lastLearningRate = 0;

  /** @param run the run's configuration, recorded as given */
  constructor(run: Record<string, unknown>) {
    this.document = {
      format: 'gradswarm-metrics',
      version: 1,
      run,
      minibatchCost: [],
      minibatchEpoch: [],
      minibatchParticipants: [],
      minibatchTiming: [],
      epochs: [],
      summary: {},
    };
  }

  recordStep(
    info: StepInfo,
    traffic: { sentBytes: number; receivedBytes: number } = { sentBytes: 0, receivedBytes: 0 },
  ): void {
    const c = info.timing.computeMs;
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    this.document.minibatchTiming.push({
      totalMs: round(info.timing.totalMs),
      computeMaxMs: round(c.length ? Math.max(...c) : 0),
      computeMeanMs: round(c.length ? c.reduce((a, b) => a + b, 0) / c.length : 0),
      reduceUpdateMs: round(info.timing.reduceUpdateMs),
      ...traffic,
    });
    this.document.minibatchCost.push(info.cost);
    this.document.minibatchEpoch.push(info.epoch);
    this.document.minibatchParticipants.push([...info.participants]);
    this.lastLearningRate = info.learningRate;
    if (info.evaluations !== undefined) (this.document.minibatchEvaluations ??= []).push(info.evaluations);
  }

  /** Adds the validation set's cost to the record of `epoch` (recorded already). */
  recordValidation(epoch: number, cost: number): void {
    const at = this.document.epochs.findLastIndex((e) => e.epoch === epoch);
    if (at >= 0) this.document.epochs[at] = { ...this.document.epochs[at], validationCost: cost };
  }

  recordEpoch(record: Omit<EpochRecord, 'learningRate'>): EpochRecord {
    const full = { ...record, learningRate: this.lastLearningRate };
    this.document.epochs.push(full);
    return full;
  }

  /** Records every step and epoch of `events` from now on (the epoch's evaluation with it). */
  subscribe(events: RunEvents): Unsubscribe {
    const offs = [
      events.on('step', (e) => this.recordStep(e, e.traffic)),
      events.on('epoch', (e) => {
        const ev = e.evaluation;
        this.recordEpoch({
          epoch: e.epoch,
          cost: e.cost,
          trainingMs: e.trainingMs,
          trainAccuracy: ev?.trainAccuracy,
          testAccuracy: ev?.testAccuracy,
          testCost: ev?.testCost,
        });
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  setReport(report: ReportData): void {
    this.document.report = report;
  }

  setSummary(summary: Record<string, unknown>): void {
    this.document.summary = summary;
  }

  toJson(): string {
    return `${JSON.stringify(this.document)}\n`;
  }
}
