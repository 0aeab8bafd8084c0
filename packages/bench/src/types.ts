/**
 * The document `gradswarm bench scale` produces (`--json`, `--out`, and the input of the HTML
 * report): the report's ScaleBenchDocument (`@gradswarm/report`), which these types extend with
 * what the bench adds (link, model, machine, fit quality, per-part projections). Times are
 * milliseconds per step, means over the measured steps.
 */
import type { ScaleBenchDocument as ReportScaleDocument, ScaleBenchResult } from '@gradswarm/report';
import type { FitCheck, TestbedDocumentFields, TestbedRowFields } from './testbed-types.js';

export type { FitCheck } from './testbed-types.js';

type ReportSyntheticRow = NonNullable<ReportScaleDocument['synthetic']>[number];
type ReportProjectionRow = NonNullable<ReportScaleDocument['projection']>[number];

/** Where one step's wall time went; the four parts sum to totalMs exactly. */
export interface StepBreakdown {
  readonly totalMs: number;
  /** The slowest worker's compute time (the step waits for it). */
  readonly computeMaxMs: number;
  /** The workers' mean compute time (computeMax − computeMean is load imbalance). */
  readonly computeMeanMs: number;
  /** The coordinator's reduction of the gradients and optimizer update. */
  readonly reduceUpdateMs: number;
  /** totalMs − computeMaxMs − reduceUpdateMs: messages, (de)serialisation, validation, waiting. */
  readonly communicationMs: number;
}

/** The coordinator's WebSocket bytes per step. */
export interface BytesPerStep {
  readonly sent: number;
  readonly received: number;
}

/** What one run's measured steps say, before it is compared with other runs. */
export interface MeasuredRun {
  readonly samplesPerSecond: number;
  readonly stepMs: StepBreakdown;
  readonly bytesPerStep: BytesPerStep;
  readonly measuredSteps: number;
  /** Mean samples per measured step (the batch size, unless an epoch's last batch is shorter). */
  readonly samplesPerStep: number;
}

/** One row of the scale-out table: W real worker processes (speedup over W = 1, efficiency = speedup / W). */
export interface ScaleResult
  extends Omit<ScaleBenchResult, 'undilated' | 'efficiencyVsTrain' | 'series'>,
    TestbedRowFields {
  readonly measuredSteps: number;
  readonly samplesPerStep: number;
  /** `train` on one node with workers × threads threads, when measured. */
  readonly singleNodeSamplesPerSecond?: number;
  /** samplesPerSecond / singleNodeSamplesPerSecond: what going over the network keeps. */
  readonly vsSingleNode?: number;
}

export interface SingleNodeResult {
  readonly threads: number;
  readonly samplesPerSecond: number;
}

/**
 * A coordinator-capacity run: K synthetic clients that compute nothing; megabytesPerSecond is
 * (sent + received) bytes per step × steps/s in 10⁶ bytes per second.
 */
export interface SyntheticResult extends ReportSyntheticRow {
  readonly layers: readonly number[];
  readonly stepMs: StepBreakdown;
  readonly bytesPerStep: BytesPerStep;
  /** Cores' worth of CPU the coordinator process used while the clients were joined (Linux). */
  readonly coordinatorCpuCores?: number;
  /** Cores' worth of CPU this process's clients used meanwhile. */
  readonly clientsCpuCores?: number;
}

/** One projected point of the α–β model (not a measurement). */
export interface ProjectionPoint extends ReportProjectionRow {
  /** The global batch of the step: fixed (strong scaling) or batch per worker × W (weak). */
  readonly batchSize: number;
  /** totalMs = computeMs + reduceUpdateMs + communicationMs; communicationMs = max(messagingMs, transferMs) + roundTripMs. */
  readonly stepMs: {
    readonly computeMs: number;
    readonly reduceUpdateMs: number;
    readonly messagingMs: number;
    readonly transferMs: number;
    readonly roundTripMs: number;
    readonly communicationMs: number;
    readonly totalMs: number;
  };
}

/** The fitted constants of the α–β model (README "Scale-out" explains each). */
export interface CostModelParameters {
  /** Compute per sample (ms) of one worker with `threadsPerWorker` threads, from the W = 1 run. */
  readonly computePerSampleMs: number;
  /** Mean computeMax / computeMean of the uncontended multi-worker runs (≥ 1). */
  readonly imbalance: number;
  /** reduce+update = reducePerParameterMs·P + reducePerWorkerParameterMs·W·P. */
  readonly reducePerParameterMs: number;
  readonly reducePerWorkerParameterMs: number;
  /** messaging = alphaStepMs + alphaMessageMs·(2W) + betaByteMs·bytes: coordinator CPU, from the loopback runs. */
  readonly alphaStepMs: number;
  readonly alphaMessageMs: number;
  readonly betaByteMs: number;
  /** Bytes of one step or result message of this model (mean of the measured runs). */
  readonly bytesPerMessage: number;
  /** Round trip added per step on a real link in the projection. */
  readonly projectionRoundTripMs: number;
  readonly notes: readonly string[];
}

/** `network` is the layer sizes ("784-512-10"), as in the README's tables; `link` the wires. */
export interface ScaleBenchDocument
  extends Omit<ReportScaleDocument, 'cpuPerWorker' | 'dilation'>,
    TestbedDocumentFields {
  results: ScaleResult[];
  projection?: ProjectionPoint[];
  synthetic?: SyntheticResult[];
  /** The same model with the batch growing with W (batchSize samples per worker): weak scaling. */
  readonly projectionPerWorkerBatch?: readonly ProjectionPoint[];
  // Added by the bench:
  readonly link: string;
  readonly model: {
    readonly layers: readonly number[];
    readonly parameters: number;
    readonly backend: string;
    readonly dataset: string;
  };
  readonly warmupSteps: number;
  readonly measuredSteps: number;
  readonly syntheticMeasuredSteps?: number;
  readonly repeat: number;
  readonly singleNodeRuns?: readonly SingleNodeResult[];
  readonly fit?: { readonly parameters: CostModelParameters; readonly checks: readonly FitCheck[] };
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    readonly platform: string;
  };
  readonly date: string;
  readonly command: string;
}
