/**
 * The documents reports are built from, besides the metrics document of `train --metrics`
 * (`MetricsDocument`, @gradswarm/coordinator): the scale benchmark's JSON line.
 */

/** One measured configuration of `bench scale`: `workers` machines with `threads` threads each. */
export interface ScaleBenchResult {
  workers: number;
  threads: number;
  samplesPerSecond: number;
  /** samplesPerSecond over the one-worker figure. */
  speedup: number;
  /** speedup / workers. */
  efficiency: number;
  /** Mean step time and where it went: computeMaxMs + reduceUpdateMs + communicationMs = totalMs. */
  stepMs: {
    totalMs: number;
    computeMaxMs: number;
    computeMeanMs: number;
    reduceUpdateMs: number;
    communicationMs: number;
  };
  /** The coordinator's traffic per step. */
  bytesPerStep: { sent: number; received: number };
  /** The row's series when a run measures several ("weak", "chain, strong"); rows of one series share a line. */
  series?: string;
  /** With a CPU quota (dilation D): the figures on the emulated machines, samples/s × D and times / D. */
  undilated?: { samplesPerSecond: number; stepMs: { totalMs: number } };
  /** samples/s over workers × `train` on one emulated machine (the same CPU quota). */
  efficiencyVsTrain?: number;
}

/** What `bench scale --json` prints (one line) and `report` renders. */
export interface ScaleBenchDocument {
  benchmark: 'scale';
  /** Layer sizes, e.g. "784-100-10". */
  network: string;
  batchSize: number;
  threadsPerWorker: number;
  results: ScaleBenchResult[];
  /** The single-node trainer's figure for comparison. */
  singleNode?: { threads: number; samplesPerSecond: number };
  /** Modelled throughput on faster or slower links. */
  projection?: Array<{ workers: number; linkGbit: number; samplesPerSecond: number; efficiency: number }>;
  /** The same model with a batch of `batchSize` per worker (the batch grows with the workers). */
  projectionPerWorkerBatch?: ReadonlyArray<{
    workers: number;
    linkGbit: number;
    samplesPerSecond: number;
    efficiency: number;
  }>;
  /** The links the runs went over, e.g. "loopback (127.0.0.1), …". */
  link?: string;
  /** Cores of each process's cgroup (bench scale --cpu-per-worker F). */
  cpuPerWorker?: number;
  /** 1/F: how many times slower than the machines it emulates the run was (1: no quota). */
  dilation?: number;
  /** The coordinator alone against synthetic clients: steps/s and traffic by model size. */
  synthetic?: Array<{ clients: number; parameters: number; stepsPerSecond: number; megabytesPerSecond: number }>;
}
