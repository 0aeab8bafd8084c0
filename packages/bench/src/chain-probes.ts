/**
 * The chain model's measured inputs (chain-timeline.ts), taken in the bench process before the
 * runs, apart from the step times the model predicts:
 *   - the compute profile: one shard's gradientSum on one thread of this process (a full core, no
 *     quota: undilated as it is), timed at the overlap hooks the chain uses (each unit block of
 *     the first layer's forward waits for its rows, each block of ∂W_1 is reported final);
 *   - a hop's CPU: chunks of the run's size through a real peer link on 127.0.0.1 (sign, ws
 *     framing and masking, the kernel's TCP, verify, finiteness, the copy into the weights), both
 *     ends in this process, so the process's CPU time per chunk is one hop's; and one chunk's add.
 * Each is the least of several repetitions: on a shared machine the least is the closest to the
 * cost itself (other jobs only add to it).
 */
import {
  createWorkspace,
  gradientSum,
  initializeParameters,
  parameterCount,
  Rng,
  selectBackend,
  type ModelSpec,
} from '@gradswarm/core';
import { ChunkKind, deriveTokenKey } from '@gradswarm/protocol';
import { dialPeer, PeerEndpoint } from '@gradswarm/worker/node';
import type { ComputeProfile } from './chain-timeline.js';

const REPEATS = 7;
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

/**
 * The compute profile of `samples` samples of `layers` (relu, softmax, cross-entropy: the bench's
 * model) on `backend`, the least of REPEATS timings per phase.
 */
export function measureComputeProfile(layers: readonly number[], samples: number, backend?: string): ComputeProfile {
  const spec: ModelSpec = { layers, hidden: 'relu', output: 'softmax', loss: 'ce' };
  const P = parameterCount(layers);
  const params = new Float32Array(P);
  const rng = new Rng(7);
  initializeParameters(layers, 'glorot', rng, params);
  const features = new Float32Array(samples * layers[0]);
  for (let i = 0; i < features.length; i++) features[i] = rng.nextFloat();
  const classes = layers[layers.length - 1];
  const labels = Int32Array.from({ length: samples }, (_, i) => i % classes);
  const data = { features, labels, count: samples, featureCount: layers[0], classCount: classes };
  const kernels = selectBackend(backend);
  const ws = createWorkspace(spec, samples);
  const grad = new Float32Array(P);
  const runs: ComputeProfile[] = [];
  for (let r = 0; r < REPEATS + 1; r++) {
    const waits: Array<[number, number]> = [];
    const done: Array<[number, number]> = [];
    const t0 = performance.now();
    gradientSum(kernels, params, data, { index: null, offset: 0, count: samples }, grad, ws, false, {
      awaitParams: (end) => void waits.push([performance.now() - t0, end]),
      onGradReady: (end) => void done.push([performance.now() - t0, end]),
    });
    if (r > 0) runs.push(profileOf(waits, done, performance.now() - t0, samples)); // the first warms up
  }
  return leastProfile(runs);
}

/** Each phase's least time over the runs (another job's time slice only ever adds to a phase). */
export function leastProfile(runs: readonly ComputeProfile[]): ComputeProfile {
  const least = (f: (p: ComputeProfile) => number): number => Math.min(...runs.map(f));
  const first = runs[0];
  return {
    ...first,
    forwardBlocksMs: first.forwardBlocksMs.map((_, j) => least((p) => p.forwardBlocksMs[j])),
    upperMs: least((p) => p.upperMs),
    backwardBlocksMs: first.backwardBlocksMs.map((_, j) => least((p) => p.backwardBlocksMs[j])),
  };
}

/**
 * Phases from the hook times: awaitParams(end_j) opens forward block j (the last call, for all of
 * P, opens the layers above); onGradReady(end_j) closes ∂W_1 block j (the last, for P, ends it).
 */
export function profileOf(
  waits: readonly (readonly [number, number])[],
  done: readonly (readonly [number, number])[],
  totalMs: number,
  samples: number,
): ComputeProfile {
  const blocks = waits.length - 1;
  if (blocks < 1 || done.length !== blocks + 1)
    throw new RangeError(`expected K + 1 hook calls of each kind, got ${waits.length} and ${done.length}`);
  const forwardBlocksMs = waits.slice(1).map(([t], j) => t - waits[j][0]);
  const backwardBlocksMs = done.slice(0, blocks).map(([t], j) => t - (j === 0 ? Number.NaN : done[j - 1][0]));
  // The first ∂W_1 block's start is hidden behind the layers above: taken as the least of the others.
  const rest = backwardBlocksMs.slice(1);
  backwardBlocksMs[0] = rest.length > 0 ? Math.min(...rest) : done[0][0] - waits[blocks][0];
  const upperMs = Math.max(0, done[0][0] - waits[blocks][0] - backwardBlocksMs[0]);
  return {
    samples,
    forwardBlocksMs: [waits[0][0] + forwardBlocksMs[0], ...forwardBlocksMs.slice(1)],
    upperMs: upperMs + Math.max(0, totalMs - done[blocks][0]),
    backwardBlocksMs,
    blockEnds: waits.slice(0, blocks).map(([, end]) => end),
  };
}

/** CPU of one hop of a chunk (both ends) and of one chunk's add, on a full core. */
export interface HopCost {
  readonly hopCpuMs: number;
  readonly addCpuMs: number;
}

/** Streams P floats in chunks of `chunkFloats` through a real peer link on 127.0.0.1, REPEATS times. */
export async function measureHopCost(parameters: number, chunkFloats: number): Promise<HopCost> {
  const key = await deriveTokenKey('gradswarm-bench-hop-probe');
  const endpoint = await PeerEndpoint.open({ host: '127.0.0.1', port: 0, tokenKey: key, log: () => undefined });
  endpoint.setParameterCount(parameters);
  const out = await dialPeer(`ws://127.0.0.1:${endpoint.port}/`, key, 1, 2, parameters);
  try {
    const into = await endpoint.linkFrom(1);
    const values = Float32Array.from({ length: parameters }, (_, i) => (i % 1000) / 1000);
    const weights = new Float32Array(parameters);
    const chunks = Math.ceil(parameters / chunkFloats);
    let hopCpuMs = Number.POSITIVE_INFINITY;
    for (let round = 1; round <= REPEATS + 1; round++) {
      const before = process.cpuUsage();
      const sent: Promise<void>[] = [];
      for (let o = 0; o < parameters; o += chunkFloats)
        sent.push(out.send(ChunkKind.SUM, round, o, values.subarray(o, Math.min(parameters, o + chunkFloats))));
      for (let o = 0; o < parameters; o += chunkFloats) weights.set((await into.next(ChunkKind.SUM, round)).floats, o);
      await Promise.all(sent);
      if (round > 1) hopCpuMs = Math.min(hopCpuMs, cpuMs(process.cpuUsage(before)) / chunks);
    }
    const sum = new Float32Array(chunkFloats);
    let addCpuMs = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 20 * REPEATS; r++) {
      const t = performance.now();
      for (let i = 0; i < chunkFloats; i++) sum[i] += values[i];
      addCpuMs = Math.min(addCpuMs, performance.now() - t);
    }
    return { hopCpuMs, addCpuMs };
  } finally {
    out.close(1000, 'probe done');
    await endpoint.close();
  }
}
