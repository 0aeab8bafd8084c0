/**
 * The structural chain model's types (chain-timeline.ts, chain-structure.ts, chain-probes.ts), in
 * a file of their own that imports nothing, so the document's types (testbed-types.ts) can name
 * them without an import cycle.
 */

/** The shard's compute on one full core, by phase, for `samples` samples. */
export interface ComputeProfile {
  readonly samples: number;
  /** First-layer forward per unit block (blocks of FIRST_LAYER_BLOCK_UNITS units). */
  readonly forwardBlocksMs: readonly number[];
  /** Loss and the layers above W_1, forward and backward, and δ_1. */
  readonly upperMs: number;
  /** ∂W_1 per unit block. */
  readonly backwardBlocksMs: readonly number[];
  /** End (exclusive, in floats of the parameter vector) of each unit block's rows of W_1. */
  readonly blockEnds: readonly number[];
}

export interface ChainTimeline {
  /** When the head (the last to get them) has all the weights. */
  readonly headWeightsInMs: number;
  /** When the head's compute ends. */
  readonly headComputeEndMs: number;
  /** The last sum chunk at the coordinator. */
  readonly sumInMs: number;
  readonly updateMs: number;
  readonly totalMs: number;
}

export interface ChainStructureInputs {
  /** Measured at profile.samples samples, scaled to each row's samples per worker. */
  readonly profile: ComputeProfile;
  readonly hopCpuMs: number;
  readonly addCpuMs: number;
  /** Undilated link rate of one link end (absent: loopback). */
  readonly linkGbit?: number;
  readonly burstBytes: number;
  readonly wireOverhead: number;
  readonly hopLatencyMs: number;
  /** The coordinator's update, from the W = 1 chain row (the one input taken from a measured step). */
  readonly updateMs: number;
  readonly chunkFloats: number;
  readonly parameters: number;
  /** This machine's cores and every process's quota (absent: none), for the CPU share. */
  readonly cores: number;
  readonly quotaCores?: number;
}

/** A measured chain row against the structural model (the fields of FitCheck, and the timeline). */
export interface ChainStructureCheck {
  readonly kind: 'workers';
  readonly workers: number;
  readonly network: string;
  readonly parameters: number;
  readonly measuredStepMs: number;
  readonly predictedStepMs: number;
  /** (predicted − measured) / measured. */
  readonly relativeError: number;
  readonly timeline: ChainTimeline;
}

export interface ChainStructurePoint {
  readonly workers: number;
  readonly linkGbit: number;
  readonly batchSize: number;
  readonly samplesPerSecond: number;
  readonly efficiency: number;
  readonly stepMs: ChainTimeline & { readonly computeMs: number; readonly communicationMs: number };
}

export interface ChainStructureDoc {
  readonly inputs: ChainStructureInputs;
  readonly checks: readonly ChainStructureCheck[];
  readonly projection: readonly ChainStructurePoint[];
  readonly projectionPerWorkerBatch: readonly ChainStructurePoint[];
  /**
   * The one fitted variant: a hop's CPU inside the quota fitted on the W ≤ 2 rows (least squares
   * of relative errors over a grid of 1-40× the probe's), the other rows predicted with it.
   */
  readonly hopFittedOnTwo?: { readonly hopCpuMs: number; readonly checks: readonly ChainStructureCheck[] };
}
