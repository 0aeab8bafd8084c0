/**
 * The arithmetic of the emulated cluster (`--cpu-per-worker F`, `--per-worker-batch B`,
 * `--topology`): which batch each run gets, which series a run belongs to, and how a run on
 * F-core processes and R-rate links maps back to the machines it stands for. With every process
 * at F cores and every link at R, the whole cluster runs 1/F times slower than one with 1-core
 * machines on R/F links (DESIGN §8: F = 0.2 with 200 Mbit/s ≙ one core on 1 Gbit/s): times
 * divide by the dilation 1/F, rates multiply by it, and ratios (speedup, efficiency) stay.
 */
import type { LinkModel } from './model.js';
import type { StepBreakdown } from './types.js';

/** Strong: one global batch split over W; weak: B samples per worker, a global batch of B·W. */
export type Scaling = 'strong' | 'weak';

/** One line of the scale-out table: a topology (as passed to the coordinator, or none) and a scaling. */
export interface Series {
  readonly topology?: string;
  readonly scaling: Scaling;
}

/** The global batch of a run with W workers. */
export function batchForRun(scaling: Scaling, workers: number, batchSize: number, perWorkerBatch?: number): number {
  if (scaling === 'strong') return batchSize;
  if (perWorkerBatch === undefined) throw new RangeError('weak scaling needs a batch per worker');
  return perWorkerBatch * workers;
}

/** "star, weak", "strong": the series' label in tables and logs. */
export function seriesLabel(s: Series): string {
  return s.topology === undefined ? s.scaling : `${s.topology}, ${s.scaling}`;
}

/** Every series of a run, topology by topology (side by side), strong before weak. */
export function allSeries(topologies: readonly (string | undefined)[], scalings: readonly Scaling[]): Series[] {
  return topologies.flatMap((topology) =>
    scalings.map((scaling) => (topology === undefined ? { scaling } : { topology, scaling })),
  );
}

/** How many times slower than the machines it emulates: 1/F (1 without a quota). */
export function dilationOf(cpuPerWorker: number | undefined): number {
  return cpuPerWorker === undefined ? 1 : 1 / cpuPerWorker;
}

/** A measured step as it would take on the emulated machines (every part / dilation). */
export function undilateStep(step: StepBreakdown, dilation: number): StepBreakdown {
  const d = (x: number): number => Math.round((x / dilation) * 1000) / 1000;
  return {
    totalMs: d(step.totalMs),
    computeMaxMs: d(step.computeMaxMs),
    computeMeanMs: d(step.computeMeanMs),
    reduceUpdateMs: d(step.reduceUpdateMs),
    communicationMs: d(step.communicationMs),
  };
}

/** The emulated link: the rate × dilation, the latency / dilation. */
export function undilateLink(link: LinkModel | null, dilation: number): LinkModel | null {
  if (link === null) return null;
  return {
    ...(link.gbit === undefined ? {} : { gbit: link.gbit * dilation }),
    roundTripMs: link.roundTripMs / dilation,
  };
}
