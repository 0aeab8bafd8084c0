/**
 * What the emulated cluster adds to the bench's document (testbed.ts, chain-model.ts): the CPU
 * quota and its dilation, the series of each row and its undilated figures, and the chain model.
 * Apart from types.ts so that file stays the small bottom file it is; it imports only types.
 */
import type { ScaleBenchResult } from '@gradswarm/report';
import type { ChainStructureDoc } from './chain-structure-types.js';

/** How a measured point compares with what the fitted model says of it. */
export interface FitCheck {
  readonly kind: 'workers' | 'synthetic';
  readonly workers: number;
  readonly network: string;
  readonly parameters: number;
  readonly measuredStepMs: number;
  readonly predictedStepMs: number;
  /** (predicted − measured) / measured. */
  readonly relativeError: number;
}

/** Fields of a row of the scale-out table with --cpu-per-worker, --per-worker-batch or --topology. */
export interface TestbedRowFields {
  /** The row's series: "strong", "weak", or "chain, weak" with --topology. */
  readonly series?: string;
  /** `--topology` passed to the coordinator for this row; absent: the coordinator's default. */
  readonly topology?: string;
  /** strong: the batch split over the workers; weak: samplesPerStep = per-worker batch × W. */
  readonly scaling?: 'strong' | 'weak';
  /** With --cpu-per-worker: the figures on the emulated machines (times / dilation, rates × dilation). */
  readonly undilated?: { readonly samplesPerSecond: number; readonly stepMs: ScaleBenchResult['stepMs'] };
  /** With --cpu-per-worker: `train` with the same threads under the same quota (one emulated machine), samples/s. */
  readonly trainSamplesPerSecond?: number;
  /** samplesPerSecond / (workers × trainSamplesPerSecond): efficiency against one machine running `train`. */
  readonly efficiencyVsTrain?: number;
  /** Local SGD (--sync-every H): samples/s / (W × the synchronous W = 1 run's samples/s in the same bench). */
  readonly efficiencyVsSync?: number;
}

/** Fields of the document with --cpu-per-worker, --per-worker-batch or --topology. */
export interface TestbedDocumentFields {
  /** --cpu-per-worker F: every worker, the coordinator and `train` in a cgroup of F cores. */
  readonly cpuPerWorker?: number;
  /** 1/F: the run is this many times slower than the machines it emulates (1 without a quota). */
  readonly dilation: number;
  /** --per-worker-batch: samples per worker of the weak-scaling rows. */
  readonly perWorkerBatch?: number;
  /** Chunk size the chain model assumes (--chunk-bytes). */
  readonly chunkBytes: number;
  /**
   * Local SGD (--sync-every H > 1): H, the replicas (absent: W of each row), and the synchronous
   * step at W = 1 of each series, measured in the same bench (the fastest repeat).
   */
  readonly localSgd?: {
    readonly syncEvery: number;
    readonly replicas?: number;
    readonly synchronous: readonly {
      readonly series: string;
      readonly samplesPerSecond: number;
      readonly stepMs: number;
      readonly bytesPerStep: { readonly sent: number; readonly received: number };
    }[];
  };
  /** `train` under the quota, per batch it ran (--cpu-per-worker only). */
  readonly trainUnderQuota?: readonly {
    readonly batchSize: number;
    readonly threads: number;
    readonly samplesPerSecond: number;
  }[];
  /** The chain model, fitted to the rows with topology chain (undilated), and its check against each. */
  readonly chainFit?: { readonly parameters: ChainModelParameters; readonly checks: readonly FitCheck[] };
  /** Projections of the chain model (not measurements): the batch split over W, and per worker. */
  readonly chainProjection?: readonly ChainProjectionPoint[];
  readonly chainProjectionPerWorkerBatch?: readonly ChainProjectionPoint[];
  /** The structural chain model (chain-structure.ts): measured inputs, its prediction of each chain row, its projection. */
  readonly chainStructure?: ChainStructureDoc;
}

/** The fitted constants of the chain's model (chain-model.ts explains each). */
export interface ChainModelParameters {
  readonly computePerSampleMs: number;
  readonly imbalance: number;
  readonly updatePerParameterMs: number;
  readonly alphaChunkMs: number;
  /** CPU per byte beyond the link's 8/rate. */
  readonly betaCpuByteMs: number;
  readonly chunkBytes: number;
  readonly projectionHopLatencyMs: number;
  readonly notes: readonly string[];
}

export interface ChainStepMs {
  readonly computeMs: number;
  readonly updateMs: number;
  /** chunks + 2(W−1) chunk times. */
  readonly pipelineChunks: number;
  readonly chunkMs: number;
  readonly latencyMs: number;
  readonly communicationMs: number;
  readonly totalMs: number;
}

export interface ChainProjectionPoint {
  readonly workers: number;
  readonly linkGbit: number;
  readonly batchSize: number;
  readonly samplesPerSecond: number;
  readonly efficiency: number;
  readonly stepMs: ChainStepMs;
}
