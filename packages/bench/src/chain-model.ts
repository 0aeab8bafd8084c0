/**
 * The cost model of one step with the chain reduction (DESIGN §8), beside the star's α–β model
 * (model.ts). A projection, not a measurement, wherever its numbers leave the measured range.
 *
 *   T(W) = compute + update + (chunks + 2(W−1)) · (α + c·β) + 2W · δ
 *   compute = imbalance · per-sample compute · B/W (the star model's, from the W = 1 run)
 *   update  = ρ·P                       the coordinator's optimizer step on the total
 *   chunks  = 2·⌈4P / c⌉                the gradient forward and the weights back, c bytes each
 *   2(W−1)                              pipeline fill and drain: W hops each way, the last chunk
 *                                       leaves the first worker after all the others
 *   α                                   per chunk and hop: framing, a syscall, the running sum
 *   β = 8/rate + β_cpu                  per byte: the link, plus CPU (copy, add, finiteness)
 *   δ                                   one-way latency of one hop (worker → switch → worker)
 *
 * Every link carries about 4P each way whatever W, so the W term is latency only: what grows is
 * 2(W−1) chunk times and 2W hop latencies, which a tree of chains would cut above ~64 workers.
 *
 * Fitted by non-negative least squares on relative errors to the measured chain runs: ρ from
 * their update time, α and β_cpu from what is left of each step after compute, update, the
 * link's own 8/rate per byte and the hops' latency. α and β_cpu are told apart only by runs with
 * different chunk sizes or models; with one chunk size the per-chunk cost is all α (noted).
 */
import { nonNegativeLeastSquares } from './least-squares.js';
import { PROJECTED_LINKS_GBIT, projectOver, type LinkModel } from './model.js';
import type { ChainModelParameters, ChainProjectionPoint, ChainStepMs } from './testbed-types.js';
import type { CostModelParameters, FitCheck, StepBreakdown } from './types.js';

export type { ChainModelParameters, ChainProjectionPoint, ChainStepMs } from './testbed-types.js';

/** The chain's chunk size unless --chunk-bytes says otherwise (the chain's own default). */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Worker counts the chain projection covers. */
export const CHAIN_PROJECTED_WORKERS = [16, 32, 64, 128, 256] as const;
/** One-way latency of one hop assumed for a real cluster (one switch: half the star's 0.2 ms round trip). */
export const PROJECTION_HOP_LATENCY_MS = 0.1;

/** A measured chain run as the model reads it (undilated when the run had a CPU quota). */
export interface ChainObservation {
  readonly workers: number;
  readonly samplesPerStep: number;
  readonly parameters: number;
  readonly chunkBytes: number;
  /** Rate (none: loopback) and latency: roundTripMs / 2 is one hop's one-way latency. */
  readonly link: LinkModel | null;
  readonly network: string;
  readonly stepMs: StepBreakdown;
}

/** Chunks of one step, both directions: 2·⌈4P / c⌉. */
export function chainChunks(parameters: number, chunkBytes: number): number {
  return 2 * Math.ceil((4 * parameters) / chunkBytes);
}

/** Link time per byte in ms (8 bits over the rate); 0 on loopback. */
const linkByteMs = (link: LinkModel | null): number => (link?.gbit === undefined ? 0 : 8 / (link.gbit * 1e6));
/** One hop's one-way latency on a measured link. */
const hopLatency = (link: LinkModel | null): number => (link?.roundTripMs ?? 0) / 2;

/**
 * Fits the chain model to measured chain runs; compute per sample and imbalance come from the
 * star model's fit (the same workers, the same W = 1 run).
 * @throws RangeError without a chain run
 */
export function fitChainModel(
  observations: readonly ChainObservation[],
  compute: Pick<CostModelParameters, 'computePerSampleMs' | 'imbalance'>,
): ChainModelParameters {
  if (observations.length === 0) throw new RangeError('the chain model needs at least one measured chain run');
  const notes: string[] = [];
  const relative = (ys: readonly number[]): number[] => ys.map((y) => (y > 0 ? 1 / y : 0));
  const updateMs = observations.map((o) => o.stepMs.reduceUpdateMs);
  const [updatePerParameterMs] = nonNegativeLeastSquares(
    observations.map((o) => [o.parameters]),
    updateMs,
    relative(updateMs),
  ).coefficients;
  const pipeline = observations.map((o) => chainChunks(o.parameters, o.chunkBytes) + 2 * (o.workers - 1));
  // What the per-chunk α and the CPU's per-byte β must explain.
  const rest = observations.map(
    (o, i) =>
      o.stepMs.communicationMs - pipeline[i] * o.chunkBytes * linkByteMs(o.link) - 2 * o.workers * hopLatency(o.link),
  );
  const [alphaChunkMs, betaCpuByteMs] = nonNegativeLeastSquares(
    observations.map((o, i) => [pipeline[i], pipeline[i] * o.chunkBytes]),
    rest,
    relative(observations.map((o) => o.stepMs.communicationMs)),
  ).coefficients;
  const chunkSizes = new Set(observations.map((o) => o.chunkBytes));
  if (chunkSizes.size === 1 && new Set(observations.map((o) => o.parameters)).size === 1)
    notes.push(
      'one chunk size and one model: α and the CPU’s β cannot be told apart, so the per-chunk cost is fitted as α alone',
    );
  if (rest.every((r) => r <= 0))
    notes.push('the link’s rate and latency explain all of the communication time: α and β_cpu fitted as 0');
  return {
    computePerSampleMs: compute.computePerSampleMs,
    imbalance: compute.imbalance,
    updatePerParameterMs,
    alphaChunkMs,
    betaCpuByteMs,
    chunkBytes: Math.max(...chunkSizes),
    projectionHopLatencyMs: PROJECTION_HOP_LATENCY_MS,
    notes,
  };
}

/**
 * The chain model before any chain run was measured: the star fit's compute, update and CPU per
 * byte, no per-chunk cost beyond it, and the link. What the chain should do, labelled so.
 */
export function chainModelFromStar(star: CostModelParameters, chunkBytes: number): ChainModelParameters {
  return {
    computePerSampleMs: star.computePerSampleMs,
    imbalance: star.imbalance,
    updatePerParameterMs: star.reducePerParameterMs,
    alphaChunkMs: 0,
    betaCpuByteMs: star.betaByteMs,
    chunkBytes,
    projectionHopLatencyMs: PROJECTION_HOP_LATENCY_MS,
    notes: [
      'not fitted: no run with --topology chain was measured, so α = 0 and the per-byte CPU cost is the star fit’s β (a prior, not a fit)',
    ],
  };
}

export interface ChainStepQuestion {
  readonly workers: number;
  readonly samplesPerStep: number;
  readonly parameters: number;
  readonly link: LinkModel | null;
  readonly chunkBytes?: number;
  /** One-way hop latency; default: half the link's round trip. */
  readonly hopLatencyMs?: number;
}

/** The chain model's step time, by part. */
export function predictChainStep(m: ChainModelParameters, q: ChainStepQuestion): ChainStepMs {
  const chunkBytes = q.chunkBytes ?? m.chunkBytes;
  const computeMs = (q.workers > 1 ? m.imbalance : 1) * ((m.computePerSampleMs * q.samplesPerStep) / q.workers);
  const updateMs = m.updatePerParameterMs * q.parameters;
  const pipelineChunks = chainChunks(q.parameters, chunkBytes) + 2 * (q.workers - 1);
  const chunkMs = m.alphaChunkMs + chunkBytes * (m.betaCpuByteMs + linkByteMs(q.link));
  const latencyMs = 2 * q.workers * (q.hopLatencyMs ?? hopLatency(q.link));
  const communicationMs = pipelineChunks * chunkMs + latencyMs;
  return {
    computeMs,
    updateMs,
    pipelineChunks,
    chunkMs,
    latencyMs,
    communicationMs,
    totalMs: computeMs + updateMs + communicationMs,
  };
}

/** Each measured chain run against the model (relative error of the step time). */
export function checkChainFit(m: ChainModelParameters, observations: readonly ChainObservation[]): FitCheck[] {
  return observations.map((o) => {
    const predicted = predictChainStep(m, o).totalMs;
    return {
      kind: 'workers',
      workers: o.workers,
      network: o.network,
      parameters: o.parameters,
      measuredStepMs: o.stepMs.totalMs,
      predictedStepMs: predicted,
      relativeError: (predicted - o.stepMs.totalMs) / o.stepMs.totalMs,
    };
  });
}

/**
 * Projects the chain to `workers` machines on links of `linksGbit` (hop latency
 * m.projectionHopLatencyMs): strong scaling by default, the batch growing with W with
 * `perWorkerBatch`. Efficiency is samples/s over W times the one-worker projection.
 */
export function projectChain(
  m: ChainModelParameters,
  q: { samplesPerStep: number; parameters: number; perWorkerBatch?: boolean },
  workers: readonly number[] = CHAIN_PROJECTED_WORKERS,
  linksGbit: readonly number[] = PROJECTED_LINKS_GBIT,
): ChainProjectionPoint[] {
  return projectOver(q, workers, linksGbit, 2 * m.projectionHopLatencyMs, (step, link) =>
    predictChainStep(m, { ...q, ...step, link }),
  );
}
