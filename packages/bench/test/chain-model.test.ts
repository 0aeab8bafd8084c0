import { describe, expect, it } from 'vitest';
import {
  CHAIN_PROJECTED_WORKERS,
  chainChunks,
  chainModelFromStar,
  checkChainFit,
  DEFAULT_CHUNK_BYTES,
  fitChainModel,
  predictChainStep,
  projectChain,
  type ChainModelParameters,
  type ChainObservation,
} from '../src/chain-model.js';
import { fitCostModel, type Observation } from '../src/model.js';

/** The model the synthetic runs are made from. */
const TRUTH: ChainModelParameters = {
  computePerSampleMs: 0.05,
  imbalance: 1.05,
  updatePerParameterMs: 2e-6,
  alphaChunkMs: 0.04,
  betaCpuByteMs: 1.5e-6,
  chunkBytes: DEFAULT_CHUNK_BYTES,
  projectionHopLatencyMs: 0.1,
  notes: [],
};
const COMPUTE = { computePerSampleMs: TRUTH.computePerSampleMs, imbalance: TRUTH.imbalance };

/** A run exactly as the model says, broken down as the bench measures it. */
function synthetic(
  workers: number,
  chunkBytes: number,
  link: ChainObservation['link'],
  parameters = 407_050,
): ChainObservation {
  const samplesPerStep = 1000 * workers;
  const p = predictChainStep(TRUTH, { workers, samplesPerStep, parameters, link, chunkBytes });
  return {
    workers,
    samplesPerStep,
    parameters,
    chunkBytes,
    link,
    network: link ? `rate=${link.gbit}gbit` : 'loopback',
    stepMs: {
      totalMs: p.totalMs,
      computeMaxMs: p.computeMs,
      computeMeanMs: p.computeMs / (workers > 1 ? TRUTH.imbalance : 1),
      reduceUpdateMs: p.updateMs,
      communicationMs: p.communicationMs,
    },
  };
}

describe('the chain cost model', () => {
  it('counts both directions’ chunks and the pipeline fill', () => {
    expect(chainChunks(407_050, 65_536)).toBe(2 * 25); // 1 628 200 bytes in 64 KiB chunks
    const one = predictChainStep(TRUTH, { workers: 1, samplesPerStep: 1000, parameters: 407_050, link: null });
    const four = predictChainStep(TRUTH, { workers: 4, samplesPerStep: 1000, parameters: 407_050, link: null });
    expect(one.pipelineChunks).toBe(50);
    expect(four.pipelineChunks).toBe(50 + 2 * 3);
    // On loopback the per-chunk cost is α + c·β_cpu alone.
    expect(four.chunkMs).toBeCloseTo(0.04 + 65_536 * 1.5e-6, 12);
  });

  it('recovers α, β_cpu and the update cost from runs with known constants', () => {
    const link = { gbit: 1, roundTripMs: 0.4 };
    const runs = [1, 2, 4, 8].flatMap((w) => [16_384, 65_536, 262_144].map((c) => synthetic(w, c, link)));
    const fit = fitChainModel(runs, COMPUTE);
    expect(fit.alphaChunkMs).toBeCloseTo(TRUTH.alphaChunkMs, 9);
    expect(fit.betaCpuByteMs).toBeCloseTo(TRUTH.betaCpuByteMs, 14);
    expect(fit.updatePerParameterMs).toBeCloseTo(TRUTH.updatePerParameterMs, 14);
    expect(fit.notes).toEqual([]);
    for (const check of checkChainFit(fit, runs)) expect(Math.abs(check.relativeError)).toBeLessThan(1e-9);
  });

  it('puts the whole per-chunk cost in α when one chunk size cannot separate it, and still predicts the runs', () => {
    const runs = [1, 2, 4].map((w) => synthetic(w, DEFAULT_CHUNK_BYTES, { gbit: 0.2, roundTripMs: 0 }));
    const fit = fitChainModel(runs, COMPUTE);
    expect(fit.betaCpuByteMs).toBe(0);
    expect(fit.alphaChunkMs).toBeCloseTo(TRUTH.alphaChunkMs + DEFAULT_CHUNK_BYTES * TRUTH.betaCpuByteMs, 9);
    expect(fit.notes.join(' ')).toMatch(/cannot be told apart/);
    for (const check of checkChainFit(fit, runs)) expect(Math.abs(check.relativeError)).toBeLessThan(1e-9);
  });

  it('reports the prediction error per measured run', () => {
    const run = synthetic(2, DEFAULT_CHUNK_BYTES, null);
    const slower = { ...run, stepMs: { ...run.stepMs, totalMs: run.stepMs.totalMs * 1.25 } };
    const [check] = checkChainFit(TRUTH, [slower]);
    expect(check.workers).toBe(2);
    expect(check.relativeError).toBeCloseTo(1 / 1.25 - 1, 12);
  });

  it('projects 16-256 workers at 1 and 10 Gbit/s, weak scaling keeping the per-worker batch', () => {
    const points = projectChain(TRUTH, { samplesPerStep: 1000, parameters: 407_050, perWorkerBatch: true });
    expect(points.map((p) => [p.linkGbit, p.workers])).toEqual(
      [1, 10].flatMap((g) => CHAIN_PROJECTED_WORKERS.map((w) => [g, w])),
    );
    for (const p of points) {
      expect(p.batchSize).toBe(1000 * p.workers);
      // Latency alone grows with W: every extra worker costs a little, never more than a whole step.
      expect(p.efficiency).toBeGreaterThan(0);
      expect(p.efficiency).toBeLessThanOrEqual(1);
    }
    const at = (g: number, w: number) => points.find((p) => p.linkGbit === g && p.workers === w)!;
    expect(at(1, 256).efficiency).toBeLessThan(at(1, 16).efficiency);
    expect(at(10, 64).efficiency).toBeGreaterThan(at(1, 64).efficiency);
    // Per-worker traffic does not grow with W: the chunk term is the same but for 2(W−1).
    expect(at(1, 256).stepMs.pipelineChunks - at(1, 16).stepMs.pipelineChunks).toBe(2 * 240);
  });

  it('without measured chain runs, starts from the star fit and says it is not a fit', () => {
    const star: Observation = {
      kind: 'workers',
      workers: 1,
      threads: 1,
      samplesPerStep: 1000,
      parameters: 407_050,
      link: null,
      network: 'loopback',
      stepMs: { totalMs: 60, computeMaxMs: 50, computeMeanMs: 50, reduceUpdateMs: 1, communicationMs: 9 },
      bytesPerStep: { sent: 1_628_300, received: 1_628_300 },
    };
    const chain = chainModelFromStar(fitCostModel([star], 2), 32_768);
    expect(chain.chunkBytes).toBe(32_768);
    expect(chain.computePerSampleMs).toBeCloseTo(0.05, 12);
    expect(chain.notes.join(' ')).toMatch(/not fitted/);
    expect(() => fitChainModel([], COMPUTE)).toThrow(RangeError);
  });
});
