/**
 * The structural chain model (chain-timeline.ts) against the measured chain rows, and its
 * projection: the inputs come from the probes (chain-probes.ts), the --netem setting and the
 * W = 1 row's update time; every other row is a prediction, none is fitted. Undilated.
 */
import type { ChainStructureCheck, ChainStructureInputs, ChainStructurePoint } from './chain-structure-types.js';
import { chainTimeline, scaleProfile, type ChainTimeline } from './chain-timeline.js';
import { PROJECTED_LINKS_GBIT, projectOver } from './model.js';

export type {
  ChainStructureCheck,
  ChainStructureDoc,
  ChainStructureInputs,
  ChainStructurePoint,
} from './chain-structure-types.js';

/** Fits the hop's CPU on the rows with W ≤ 2; null without a row with W = 2. */
export function fitHopOnTwo(
  m: ChainStructureInputs,
  rows: readonly { workers: number; samplesPerStep: number; totalMs: number; network: string }[],
): { hopCpuMs: number; checks: ChainStructureCheck[] } | null {
  const small = rows.filter((r) => r.workers <= 2);
  if (!small.some((r) => r.workers === 2)) return null;
  let best = { hopCpuMs: m.hopCpuMs, error: Number.POSITIVE_INFINITY };
  for (let f = 1; f <= 40; f *= 1.05) {
    const hopCpuMs = m.hopCpuMs * f;
    const error = checkStructured({ ...m, hopCpuMs }, small).reduce((a, c) => a + c.relativeError ** 2, 0);
    if (error < best.error) best = { hopCpuMs, error };
  }
  return { hopCpuMs: best.hopCpuMs, checks: checkStructured({ ...m, hopCpuMs: best.hopCpuMs }, rows) };
}

/** Worker counts of the projection and the hop latency it assumes (one switch). */
export const STRUCTURE_PROJECTED_WORKERS = [16, 32, 64, 128, 256] as const;
export const STRUCTURE_PROJECTION_HOP_MS = 0.1;

/** The model's step for W workers with `samplesPerWorker` each on this testbed's link. */
export function predictStructured(
  m: ChainStructureInputs,
  workers: number,
  samplesPerWorker: number,
  link: { gbit?: number; hopLatencyMs: number; burstBytes: number; cpuShare?: number } = {
    ...(m.linkGbit === undefined ? {} : { gbit: m.linkGbit }),
    hopLatencyMs: m.hopLatencyMs,
    burstBytes: m.burstBytes,
  },
): ChainTimeline {
  const quota = m.quotaCores ?? 1;
  // The coordinator and W workers each hold a quota; fewer cores than that and each gets less.
  const cpuShare = link.cpuShare ?? Math.min(1, m.cores / ((workers + 1) * quota));
  return chainTimeline({
    workers,
    parameters: m.parameters,
    chunkFloats: m.chunkFloats,
    profile: scaleProfile(m.profile, samplesPerWorker),
    linkBytesPerMs: link.gbit === undefined ? Number.POSITIVE_INFINITY : link.gbit * 125_000,
    wireOverhead: m.wireOverhead,
    burstBytes: link.burstBytes,
    hopCpuMs: m.hopCpuMs,
    addCpuMs: m.addCpuMs,
    hopLatencyMs: link.hopLatencyMs,
    updateMs: m.updateMs,
    cpuShare,
  });
}

/** Each measured chain row against the model. */
export function checkStructured(
  m: ChainStructureInputs,
  rows: readonly { workers: number; samplesPerStep: number; totalMs: number; network: string }[],
): ChainStructureCheck[] {
  return rows.map((r) => {
    const timeline = predictStructured(m, r.workers, r.samplesPerStep / r.workers);
    return {
      kind: 'workers',
      workers: r.workers,
      network: r.network,
      parameters: m.parameters,
      measuredStepMs: r.totalMs,
      predictedStepMs: timeline.totalMs,
      relativeError: (timeline.totalMs - r.totalMs) / r.totalMs,
      timeline,
    };
  });
}

/** PROJECTION: one worker per machine (one core each, no contention), 0.1 ms per hop, no burst. */
export function projectStructured(
  m: ChainStructureInputs,
  q: { samplesPerStep: number; perWorkerBatch?: boolean },
): ChainStructurePoint[] {
  // The compute itself (the profile at the batch of one worker); the rest of the step is waiting.
  const compute = (samples: number): number => {
    const p = scaleProfile(m.profile, samples);
    return p.forwardBlocksMs.reduce((a, b) => a + b, 0) + p.upperMs + p.backwardBlocksMs.reduce((a, b) => a + b, 0);
  };
  return projectOver(
    q,
    STRUCTURE_PROJECTED_WORKERS,
    PROJECTED_LINKS_GBIT,
    2 * STRUCTURE_PROJECTION_HOP_MS,
    (step, link) => {
      const s = predictStructured(m, step.workers, step.samplesPerStep / step.workers, {
        ...(link.gbit === undefined ? {} : { gbit: link.gbit }),
        hopLatencyMs: STRUCTURE_PROJECTION_HOP_MS,
        burstBytes: 0,
        cpuShare: 1,
      });
      const computeMs = compute(step.samplesPerStep / step.workers);
      return { ...s, computeMs, communicationMs: s.totalMs - computeMs - s.updateMs };
    },
  );
}
