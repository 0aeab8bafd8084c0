/**
 * Checkpoints: everything needed to continue a run at the exact step — weights, the optimizer's
 * state, position (epoch, batch, step), the resolved training options, the model spec and the
 * training data's fingerprint (the RNG needs no state of its own: every epoch's order is derived
 * from the seed and the epoch number). Written atomically and durably (data's `writeFileAtomic`).
 *
 * Format versions (a JSON document, float32 buffers as base64 of their little-endian bytes):
 *   1  `velocity`: SGD's velocity; the options have no `optimizer` (it was always sgd).
 *   2  `optimizer`: { name, stepCount, buffers: { <name>: base64 } } (sgd: velocity; adam and
 *      adamw: m, v). Version 1 files are still read, as sgd with a step count of `position.step`.
 *      Optional `fullBatch` (cg, lbfgs, tnc after their first iteration): { name, status, scalars:
 *      { <name>: number }, vectors: { <name>: base64 of float64 } }; files without it read as before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCode,
  fsReason,
  GradswarmError,
  OPTIMIZER_NAMES,
  FULL_BATCH_OPTIMIZER_NAMES,
  type FullBatchSnapshot,
  type ModelSpec,
  type OptimizerName,
  type OptimizerState,
} from '@gradswarm/core';
import { writeFileAtomic } from '@gradswarm/data/node';
import type { TrainerState } from './trainer.js';
import type { ResolvedTrainingOptions } from './training-options.js';

export const CHECKPOINT_FORMAT = 'gradswarm-checkpoint';
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The version saveCheckpoint writes; loadCheckpoint reads it and version 1. */
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  readonly spec: ModelSpec;
  readonly options: ResolvedTrainingOptions;
  readonly dataFingerprint: string;
  readonly state: TrainerState;
  /** Per-minibatch costs so far, so the metrics of a resumed run are whole. */
  readonly minibatchCost: readonly number[];
}

function checkpointError(message: string): GradswarmError {
  return new GradswarmError(ErrorCode.CHECKPOINT, message);
}

const toBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromBase64(text: unknown, name: string, path: string): Float32Array {
  if (typeof text !== 'string') throw checkpointError(`${path}: "${name}" is missing`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw checkpointError(`${path}: "${name}" is not float32 data`);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Writes `checkpoint` as DIR/checkpoint.json (atomically). Returns the path. */
export function saveCheckpoint(dir: string, checkpoint: Checkpoint): string {
  const path = join(dir, CHECKPOINT_FILE);
  const { state } = checkpoint;
  const doc = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec: checkpoint.spec,
    options: checkpoint.options,
    dataFingerprint: checkpoint.dataFingerprint,
    position: {
      epoch: state.epoch,
      batch: state.batch,
      step: state.step,
      samplesSeen: state.samplesSeen,
      trainingMs: state.trainingMs,
      lastCost: state.lastCost,
    },
    params: toBase64(state.params),
    optimizer: {
      name: state.optimizer.name,
      stepCount: state.optimizer.stepCount,
      buffers: Object.fromEntries(Object.entries(state.optimizer.buffers).map(([name, b]) => [name, toBase64(b)])),
    },
    minibatchCost: checkpoint.minibatchCost,
    ...(state.fullBatch ? { fullBatch: fullBatchSection(state.fullBatch) } : {}),
  };
  try {
    writeFileAtomic(path, `${JSON.stringify(doc)}\n`);
  } catch (err) {
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
    const full = cause?.code === 'ENOSPC' || cause?.code === 'EDQUOT';
    throw checkpointError(
      `cannot write checkpoint ${path}: ${cause ? fsReason(cause) : (err as Error).message} - help: ${full ? 'free some space, or point --checkpoint at another disk' : 'check --checkpoint points at a writable directory'}`,
    );
  }
  return path;
}

/**
 * Reads DIR/checkpoint.json.
 * @throws GradswarmError GS_ERR_CHECKPOINT naming the file and the problem
 */
export function loadCheckpoint(dir: string): Checkpoint {
  const path = join(dir, CHECKPOINT_FILE);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw checkpointError(
      code === 'ENOENT'
        ? `no checkpoint at ${path} - help: --resume needs the --checkpoint DIR of an earlier run`
        : `${path}: unreadable (${(err as Error).message})`,
    );
  }
  if (doc.format !== CHECKPOINT_FORMAT || (doc.version !== 1 && doc.version !== CHECKPOINT_VERSION)) {
    throw checkpointError(`${path}: not a gradswarm checkpoint (version 1 or ${CHECKPOINT_VERSION})`);
  }
  const p = doc.position as Record<string, number> | undefined;
  if (!p || ![p.epoch, p.batch, p.step, p.samplesSeen, p.trainingMs].every((x) => Number.isFinite(x) && x >= 0))
    throw checkpointError(`${path}: "position" is malformed`);
  const state: TrainerState = {
    epoch: p.epoch,
    batch: p.batch,
    step: p.step,
    samplesSeen: p.samplesSeen,
    trainingMs: p.trainingMs,
    lastCost: typeof p.lastCost === 'number' ? p.lastCost : Number.NaN,
    params: fromBase64(doc.params, 'params', path),
    optimizer:
      doc.version === 1
        ? { name: 'sgd', stepCount: p.step, buffers: { velocity: fromBase64(doc.velocity, 'velocity', path) } }
        : readOptimizer(doc.optimizer, path),
    ...(doc.fullBatch === undefined ? {} : { fullBatch: readFullBatch(doc.fullBatch, path) }),
  };
  // Version 1 runs were all sgd, whose options name no optimizer.
  const options = (
    doc.version === 1 ? { ...(doc.options as object), optimizer: 'sgd' } : doc.options
  ) as ResolvedTrainingOptions;
  return {
    spec: doc.spec as ModelSpec,
    options,
    dataFingerprint: String(doc.dataFingerprint),
    state,
    minibatchCost: Array.isArray(doc.minibatchCost) ? (doc.minibatchCost as number[]) : [],
  };
}

function fullBatchSection(s: FullBatchSnapshot) {
  const f64 = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { ...s, vectors: Object.fromEntries(Object.entries(s.vectors).map(([k, v]) => [k, f64(v)])) };
}

function readFullBatch(value: unknown, path: string): FullBatchSnapshot {
  const f = value as { name?: unknown; status?: unknown; scalars?: unknown; vectors?: unknown };
  if (!f || !(FULL_BATCH_OPTIMIZER_NAMES as readonly unknown[]).includes(f.name))
    throw checkpointError(`${path}: "fullBatch" names no full-batch optimizer`);
  if (!['running', 'converged', 'stalled'].includes(f.status as string))
    throw checkpointError(`${path}: "fullBatch.status" is malformed`);
  if (!f.scalars || typeof f.scalars !== 'object' || !f.vectors || typeof f.vectors !== 'object')
    throw checkpointError(`${path}: "fullBatch" has no scalars or vectors`);
  const vectors = Object.fromEntries(
    Object.entries(f.vectors as Record<string, unknown>).map(([name, text]) => {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'base64') : null;
      if (!bytes || bytes.length % 8 !== 0)
        throw checkpointError(`${path}: "fullBatch.vectors.${name}" is not float64 data`);
      const out = new Float64Array(bytes.length / 8);
      new Uint8Array(out.buffer).set(bytes);
      return [name, out];
    }),
  );
  return { ...(f as FullBatchSnapshot), vectors };
}

function readOptimizer(value: unknown, path: string): OptimizerState {
  const o = value as { name?: unknown; stepCount?: unknown; buffers?: unknown } | undefined;
  if (!o || typeof o !== 'object' || !OPTIMIZER_NAMES.includes(o.name as OptimizerName))
    throw checkpointError(`${path}: "optimizer" is missing or names no known optimizer`);
  if (!Number.isInteger(o.stepCount) || (o.stepCount as number) < 0)
    throw checkpointError(`${path}: "optimizer.stepCount" is malformed`);
  if (!o.buffers || typeof o.buffers !== 'object') throw checkpointError(`${path}: "optimizer.buffers" is missing`);
  const buffers = Object.fromEntries(
    Object.entries(o.buffers as Record<string, unknown>).map(([name, text]) => [
      name,
      fromBase64(text, `optimizer.buffers.${name}`, path),
    ]),
  );
  return { name: o.name as OptimizerName, stepCount: o.stepCount as number, buffers };
}

/**
 * Checks a checkpoint belongs to this run: same model, same data, same options (only the
 * number of epochs may grow).
 * @throws GradswarmError GS_ERR_CHECKPOINT saying what differs
 */
export function checkResumable(
  checkpoint: Checkpoint,
  spec: ModelSpec,
  options: ResolvedTrainingOptions,
  dataFingerprint: string,
): void {
  if (JSON.stringify(checkpoint.spec) !== JSON.stringify(spec)) {
    throw checkpointError(
      `the checkpoint is of model ${checkpoint.spec.layers.join('-')} ${checkpoint.spec.hidden}/${checkpoint.spec.output}, this run builds ${spec.layers.join('-')} ${spec.hidden}/${spec.output} - help: resume with the same model flags`,
    );
  }
  if (checkpoint.dataFingerprint !== dataFingerprint)
    throw checkpointError(
      'the checkpoint was trained on other data (fingerprints differ) - help: resume with the same --dataset, --test-fraction, --scale and --seed',
    );
  // Only how long the run goes may differ.
  const a = { ...checkpoint.options, epochs: 0, maxSteps: 0 };
  const b = { ...options, epochs: 0, maxSteps: 0 };
  for (const key of Object.keys(b) as (keyof ResolvedTrainingOptions)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      throw checkpointError(
        `the checkpoint was made with ${String(key)} = ${JSON.stringify(a[key])}, this run has ${JSON.stringify(b[key])} - help: resume with the same flags`,
      );
    }
  }
}
