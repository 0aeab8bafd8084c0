/**
 * An α–β cost model of one synchronous data-parallel step in a star (one coordinator, W
 * workers), fitted to the measured runs and used to project larger clusters. A projection, not
 * a measurement: README "Scale-out" says so wherever its numbers appear.
 *
 *   T(W) = compute + reduce + max(messaging, transfer) + round trip
 *   compute   = imbalance · c · B/W · share     the slowest worker's shard of the batch B;
 *                                               share = max(1, W·threads / cores) when the
 *                                               workers share this machine's cores
 *   reduce    = ρ₀·P + ρ·W·P                    sum W gradients of P floats, one update
 *   messaging = α₀ + α·(2W) + β·bytes           the coordinator's CPU per step, per message and
 *                                               per byte (encode, copy, validate)
 *   transfer  = bytes · 8 / rate                all bytes = 2W·m through the coordinator's one
 *                                               link (each worker gets the weights and returns a
 *                                               gradient, m ≈ 4P bytes each); on loopback, 0
 *
 * The coordinator's CPU and its link work at the same time (the kernel sends one message while
 * the coordinator encodes the next), so a step waits for whichever of them is the bottleneck;
 * measured: with the CPU term added on top instead, 1 Gbit/s runs came out 10-30% too slow.
 * The link term is the conservative one: the workers' TCP flows share the coordinator's link
 * fairly, so the weights reach all of them at about the same time and the gradients come back
 * together — little of the return traffic overlaps the outgoing one.
 *
 * c is the W = 1 run's compute time per sample (its worker alone, as on its own machine). The
 * rest by non-negative least squares on relative errors (steps of 4 ms and of 2 s count alike):
 * ρ₀, ρ from every run's reduce+update; α₀, α, β from the communication time (step − slowest
 * compute − reduce) of the loopback runs, real and synthetic, where messaging is all of it; so a
 * shaped run (--netem) is predicted, not fitted. The synthetic runs are what separate α from β:
 * with one model size, bytes grow exactly with W.
 */
import { nonNegativeLeastSquares } from './least-squares.js';
import type { BytesPerStep, CostModelParameters, FitCheck, ProjectionPoint, StepBreakdown } from './types.js';

/** A link the model can price: a rate (none: unshaped loopback) and a one-way latency. */
export interface LinkModel {
  readonly gbit?: number;
  /** Round trip one step pays on this link. */
  readonly roundTripMs: number;
}

/** One measured run as the model reads it. */
export interface Observation {
  readonly kind: 'workers' | 'synthetic';
  /** The --topology the run passed, if any (the star model is fitted to the others). */
  readonly topology?: string;
  /** W real workers, or K synthetic clients. */
  readonly workers: number;
  /** Threads per worker (synthetic: 0, they compute nothing). */
  readonly threads: number;
  readonly samplesPerStep: number;
  readonly parameters: number;
  /** null: loopback, unshaped. */
  readonly link: LinkModel | null;
  readonly network: string;
  readonly stepMs: StepBreakdown;
  readonly bytesPerStep: BytesPerStep;
}

/** Worker counts and link rates the projection covers. */
export const PROJECTED_WORKERS = [8, 16, 32, 64, 128, 256] as const;
export const PROJECTED_LINKS_GBIT = [1, 10] as const;
/** Round trip per step assumed for a real cluster link (one switch hop each way). */
export const PROJECTION_ROUND_TRIP_MS = 0.2;

/**
 * Fits the model.
 * @param cores this machine's cores (runs with more worker threads than cores are oversubscribed)
 * @throws RangeError without a run with real workers
 */
export function fitCostModel(observations: readonly Observation[], cores: number): CostModelParameters {
  const notes: string[] = [];
  const real = observations.filter((o) => o.kind === 'workers');
  if (real.length === 0) throw new RangeError('the model needs at least one run with real workers');
  // Per-sample compute from the runs with the fewest worker threads (W = 1): the closest this
  // machine comes to a worker alone on its own machine. Runs with more workers share the cores
  // with each other and the coordinator; the check below shows how much that costs here.
  const fewest = Math.min(...real.map((o) => o.workers * o.threads));
  const computeRuns = real.filter((o) => o.workers * o.threads === fewest);
  const uncontended = real.filter((o) => o.workers * o.threads <= cores);
  if (fewest > cores)
    notes.push(
      `every run had more worker threads than the ${cores} cores; compute was corrected by the oversubscription factor`,
    );
  const share = (o: Observation): number => Math.max(1, (o.workers * o.threads) / cores);
  const computePerSampleMs = mean(
    computeRuns.map((o) => o.stepMs.computeMeanMs / share(o) / (o.samplesPerStep / o.workers)),
  );
  const multi = uncontended.filter((o) => o.workers > 1 && o.stepMs.computeMeanMs > 0);
  const imbalance =
    multi.length > 0 ? Math.max(1, mean(multi.map((o) => o.stepMs.computeMaxMs / o.stepMs.computeMeanMs))) : 1;
  if (multi.length === 0) notes.push('no uncontended run with W > 1: load imbalance assumed 1');

  const relative = (ys: readonly number[]): number[] => ys.map((y) => (y > 0 ? 1 / y : 0));
  const reduceMs = observations.map((o) => o.stepMs.reduceUpdateMs);
  const reduce = nonNegativeLeastSquares(
    observations.map((o) => [o.parameters, o.workers * o.parameters]),
    reduceMs,
    relative(reduceMs),
  ).coefficients;

  // Messaging is CPU per step, message and byte: fitted on the loopback runs, where no link
  // hides it. A shaped run cannot tell it apart from its link, so without loopback runs it is 0.
  const loopback = observations.filter((o) => o.link === null);
  const commMs = loopback.map((o) => o.stepMs.communicationMs);
  const messaging =
    loopback.length === 0
      ? [0, 0, 0]
      : nonNegativeLeastSquares(
          loopback.map((o) => [1, 2 * o.workers, o.bytesPerStep.sent + o.bytesPerStep.received]),
          commMs,
          relative(commMs),
        ).coefficients;
  if (loopback.length === 0)
    notes.push(
      'no loopback run, so the coordinator’s CPU per message and byte is unknown and taken as 0 - add --synthetic runs (they use loopback)',
    );
  else if (messaging[2] === 0)
    notes.push(
      'the per-byte cost β fitted as 0 (the runs could not separate it from the per-message cost; add --synthetic runs)',
    );
  else if (messaging[1] === 0)
    notes.push(
      'the per-message cost α fitted as 0 (the runs could not separate it from the per-byte cost, or it is below the noise)',
    );

  return {
    computePerSampleMs,
    imbalance,
    reducePerParameterMs: reduce[0],
    reducePerWorkerParameterMs: reduce[1],
    alphaStepMs: messaging[0],
    alphaMessageMs: messaging[1],
    betaByteMs: messaging[2],
    bytesPerMessage: mean(real.map((o) => (o.bytesPerStep.sent + o.bytesPerStep.received) / (2 * o.workers))),
    projectionRoundTripMs: PROJECTION_ROUND_TRIP_MS,
    notes,
  };
}

export interface StepQuestion {
  readonly workers: number;
  readonly threads: number;
  readonly samplesPerStep: number;
  readonly parameters: number;
  readonly link: LinkModel | null;
  /** Cores the workers share (this machine); undefined: one machine per worker. */
  readonly cores?: number;
  /** Bytes through the coordinator per step; default 2W · bytesPerMessage. */
  readonly bytes?: number;
  /** Synthetic clients compute nothing. */
  readonly synthetic?: boolean;
}

/** The model's step time, by part. */
export function predictStep(m: CostModelParameters, q: StepQuestion): ProjectionPoint['stepMs'] {
  const share = q.cores === undefined ? 1 : Math.max(1, (q.workers * q.threads) / q.cores);
  const computeMs = q.synthetic
    ? 0
    : (q.workers > 1 ? m.imbalance : 1) * ((m.computePerSampleMs * q.samplesPerStep) / q.workers) * share;
  const reduceUpdateMs =
    m.reducePerParameterMs * q.parameters + m.reducePerWorkerParameterMs * q.workers * q.parameters;
  const bytes = q.bytes ?? 2 * q.workers * m.bytesPerMessage;
  const messagingMs = m.alphaStepMs + m.alphaMessageMs * 2 * q.workers + m.betaByteMs * bytes;
  const transferMs = transferTime(q.link, bytes);
  const roundTripMs = q.link?.roundTripMs ?? 0;
  const communicationMs = Math.max(messagingMs, transferMs) + roundTripMs;
  return {
    computeMs,
    reduceUpdateMs,
    messagingMs,
    transferMs,
    roundTripMs,
    communicationMs,
    totalMs: computeMs + reduceUpdateMs + communicationMs,
  };
}

/** Time `bytes` take through the coordinator's link; 0 on loopback or an unlimited rate. */
export function transferTime(link: LinkModel | null, bytes: number): number {
  return link?.gbit === undefined ? 0 : (bytes * 8) / (link.gbit * 1e6);
}

/**
 * How well the model reproduces each measured run (with that run's bytes and this machine's
 * cores): relative error of the step time, which is also that of samples/s (inverted).
 */
export function checkFit(m: CostModelParameters, observations: readonly Observation[], cores: number): FitCheck[] {
  return observations.map((o) => {
    const predicted = predictStep(m, {
      ...o,
      cores,
      bytes: o.bytesPerStep.sent + o.bytesPerStep.received,
      synthetic: o.kind === 'synthetic',
    }).totalMs;
    return {
      kind: o.kind,
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
 * Projects samples/s and efficiency for `workers` machines (one worker with `threads` threads
 * each) on links of `linksGbit`. Strong scaling (default): the batch stays `samplesPerStep`,
 * cut in W shards. Weak scaling (`perWorkerBatch`): every worker gets `samplesPerStep` samples,
 * so the batch grows with W. Efficiency is samples/s over W times the one-worker projection on
 * the same link.
 */
export function project(
  m: CostModelParameters,
  q: { samplesPerStep: number; parameters: number; threads: number; perWorkerBatch?: boolean },
  workers: readonly number[] = PROJECTED_WORKERS,
  linksGbit: readonly number[] = PROJECTED_LINKS_GBIT,
): ProjectionPoint[] {
  return projectOver(q, workers, linksGbit, m.projectionRoundTripMs, (step, link) =>
    predictStep(m, { ...q, ...step, link }),
  );
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The projection loop both cost models share: per link rate and worker count, the predicted
 * step of `predict`, samples/s, and efficiency against W times the one-worker prediction.
 */
export function projectOver<S extends { readonly totalMs: number }>(
  q: { readonly samplesPerStep: number; readonly perWorkerBatch?: boolean },
  workers: readonly number[],
  linksGbit: readonly number[],
  roundTripMs: number,
  predict: (step: { samplesPerStep: number; workers: number }, link: LinkModel) => S,
): Array<{
  workers: number;
  linkGbit: number;
  batchSize: number;
  samplesPerSecond: number;
  efficiency: number;
  stepMs: S;
}> {
  const batch = (w: number): number => (q.perWorkerBatch ? q.samplesPerStep * w : q.samplesPerStep);
  return linksGbit.flatMap((gbit) => {
    const link = { gbit, roundTripMs };
    const oneRate = (q.samplesPerStep * 1000) / predict({ samplesPerStep: q.samplesPerStep, workers: 1 }, link).totalMs;
    return workers.map((w) => {
      const stepMs = predict({ samplesPerStep: batch(w), workers: w }, link);
      const samplesPerSecond = (batch(w) * 1000) / stepMs.totalMs;
      return {
        workers: w,
        linkGbit: gbit,
        batchSize: batch(w),
        samplesPerSecond,
        efficiency: samplesPerSecond / (w * oneRate),
        stepMs,
      };
    });
  });
}
