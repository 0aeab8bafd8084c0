/**
 * The scale bench's models from its measured rows: the star's α–β model (model.ts) fitted to
 * every row not run with `--topology chain` plus the synthetic runs, and the chain's model
 * (chain-model.ts) fitted to the chain rows. With a CPU quota the rows are undilated first
 * (times / dilation, the link's rate × dilation, its latency / dilation), so both fits and their
 * projections speak of the emulated machines, and the checks compare like with like.
 */
import {
  chainModelFromStar,
  checkChainFit,
  fitChainModel,
  projectChain,
  type ChainObservation,
} from './chain-model.js';
import { checkStructured, fitHopOnTwo, projectStructured, type ChainStructureInputs } from './chain-structure.js';
import { TCP_WIRE_OVERHEAD } from './chain-timeline.js';
import { checkFit, fitCostModel, project, type LinkModel, type Observation } from './model.js';
import { undilateLink, undilateStep, type Series } from './testbed.js';
import type { ScaleBenchDocument, ScaleResult, SyntheticResult } from './types.js';

export interface MeasuredSeries {
  readonly series: Series;
  readonly rows: readonly ScaleResult[];
}

export interface ModelInputs {
  readonly series: readonly MeasuredSeries[];
  readonly synthetic: readonly SyntheticResult[];
  readonly parameters: number;
  /** The measured link (null: loopback). */
  readonly link: LinkModel | null;
  readonly network: string;
  readonly dilation: number;
  readonly cores: number;
  readonly batchSize: number;
  readonly perWorkerBatch: number;
  readonly threads: number;
  readonly chunkBytes: number;
  /** The structural chain model's measured inputs (chain-probes.ts); absent: not measured. */
  readonly chainProbes?: Pick<
    ChainStructureInputs,
    'profile' | 'hopCpuMs' | 'addCpuMs' | 'burstBytes' | 'cores' | 'quotaCores' | 'chunkFloats'
  >;
}

type ModelFields = Pick<
  ScaleBenchDocument,
  | 'fit'
  | 'projection'
  | 'projectionPerWorkerBatch'
  | 'chainFit'
  | 'chainProjection'
  | 'chainProjectionPerWorkerBatch'
  | 'chainStructure'
>;

/** Fits, checks and projects both models; {} when no real worker was measured. */
export function fitModels(i: ModelInputs): ModelFields {
  const link = undilateLink(i.link, i.dilation);
  const rows = i.series.flatMap((s) => s.rows.map((r) => ({ topology: s.series.topology, r })));
  const observations: Observation[] = [
    ...rows
      .filter((x) => x.topology !== 'chain')
      .map(({ topology, r }) => ({
        kind: 'workers' as const,
        ...(topology === undefined ? {} : { topology }),
        workers: r.workers,
        threads: r.threads,
        samplesPerStep: r.samplesPerStep,
        parameters: i.parameters,
        link,
        network: i.network,
        stepMs: undilateStep(r.stepMs, i.dilation),
        bytesPerStep: r.bytesPerStep,
      })),
    // The synthetic runs have no quota: their times are real already.
    ...i.synthetic.map((s) => ({
      kind: 'synthetic' as const,
      workers: s.clients,
      threads: 0,
      samplesPerStep: i.batchSize,
      parameters: s.parameters,
      link: null,
      network: 'loopback',
      stepMs: s.stepMs,
      bytesPerStep: s.bytesPerStep,
    })),
  ];
  const chainRows: ChainObservation[] = rows
    .filter((x) => x.topology === 'chain')
    .map(({ r }) => ({
      workers: r.workers,
      samplesPerStep: r.samplesPerStep,
      parameters: i.parameters,
      chunkBytes: i.chunkBytes,
      link,
      network: i.network,
      stepMs: undilateStep(r.stepMs, i.dilation),
    }));
  if (!observations.some((o) => o.kind === 'workers') && chainRows.length === 0) return {};
  // The star rows carry the W = 1 compute; with chain rows only, they stand in for it.
  const starInput: Observation[] = observations.some((o) => o.kind === 'workers')
    ? observations
    : chainRows.map((c) => ({
        kind: 'workers' as const,
        workers: c.workers,
        threads: i.threads,
        samplesPerStep: c.samplesPerStep,
        parameters: c.parameters,
        link: c.link,
        network: c.network,
        stepMs: c.stepMs,
        bytesPerStep: { sent: 0, received: 0 },
      }));
  const star = fitCostModel(starInput, i.cores);
  const chain = chainRows.length > 0 ? fitChainModel(chainRows, star) : chainModelFromStar(star, i.chunkBytes);
  const question = { samplesPerStep: i.batchSize, parameters: i.parameters, threads: i.threads };
  const weak = { ...question, samplesPerStep: i.perWorkerBatch, perWorkerBatch: true };
  const one = chainRows.find((c) => c.workers === 1);
  const structure: ChainStructureInputs | null =
    i.chainProbes && one
      ? {
          ...i.chainProbes,
          ...(link?.gbit === undefined ? {} : { linkGbit: link.gbit }),
          wireOverhead: link?.gbit === undefined ? 1 : TCP_WIRE_OVERHEAD,
          hopLatencyMs: (link?.roundTripMs ?? 0) / 2,
          updateMs: one.stepMs.reduceUpdateMs,
          parameters: i.parameters,
        }
      : null;
  const measured = chainRows.map((c) => ({ ...c, totalMs: c.stepMs.totalMs }));
  const fitted = structure ? fitHopOnTwo(structure, measured) : null;
  return {
    ...(structure
      ? {
          chainStructure: {
            inputs: structure,
            checks: checkStructured(structure, measured),
            ...(fitted ? { hopFittedOnTwo: fitted } : {}),
            projection: projectStructured(structure, { samplesPerStep: i.batchSize }),
            projectionPerWorkerBatch: projectStructured(structure, {
              samplesPerStep: i.perWorkerBatch,
              perWorkerBatch: true,
            }),
          },
        }
      : {}),
    fit: { parameters: star, checks: checkFit(star, observations, i.cores) },
    projection: project(star, question),
    projectionPerWorkerBatch: project(star, weak),
    chainFit: { parameters: chain, checks: checkChainFit(chain, chainRows) },
    chainProjection: projectChain(chain, question),
    chainProjectionPerWorkerBatch: projectChain(chain, weak),
  };
}
