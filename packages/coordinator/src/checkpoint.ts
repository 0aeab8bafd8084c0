/**
 * Checkpoints: everything needed to continue a run at the exact step — weights, optimizer
 * velocity, position (epoch, batch, step), the resolved training options, the model spec and the
 * training data's fingerprint (the RNG needs no state of its own: every epoch's order is derived
 * from the seed and the epoch number). Written atomically: a temporary file, then a rename.
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, GradswarmError, type ModelSpec } from '@gradswarm/core';
import type { TrainerState } from './trainer.js';
import type { ResolvedTrainingOptions } from './training-options.js';

export const CHECKPOINT_FORMAT = 'gradswarm-checkpoint';
export const CHECKPOINT_FILE = 'checkpoint.json';

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
    version: 1,
    spec: checkpoint.spec,
    options: checkpoint.options,
    dataFingerprint: checkpoint.dataFingerprint,
    position: { epoch: state.epoch, batch: state.batch, step: state.step, samplesSeen: state.samplesSeen, trainingMs: state.trainingMs, lastCost: state.lastCost },
    params: toBase64(state.params),
    velocity: toBase64(state.velocity),
    minibatchCost: checkpoint.minibatchCost,
  };
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(doc)}\n`);
    renameSync(tmp, path);
  } catch (err) {
    throw checkpointError(`cannot write checkpoint ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} - help: check --checkpoint points at a writable directory`);
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
    throw checkpointError(code === 'ENOENT' ? `no checkpoint at ${path} - help: --resume needs the --checkpoint DIR of an earlier run` : `${path}: unreadable (${(err as Error).message})`);
  }
  if (doc.format !== CHECKPOINT_FORMAT || doc.version !== 1) throw checkpointError(`${path}: not a gradswarm checkpoint (version 1)`);
  const p = doc.position as Record<string, number> | undefined;
  if (!p || ![p.epoch, p.batch, p.step, p.samplesSeen, p.trainingMs].every((x) => Number.isFinite(x) && x >= 0)) throw checkpointError(`${path}: "position" is malformed`);
  const state: TrainerState = {
    epoch: p.epoch,
    batch: p.batch,
    step: p.step,
    samplesSeen: p.samplesSeen,
    trainingMs: p.trainingMs,
    lastCost: typeof p.lastCost === 'number' ? p.lastCost : Number.NaN,
    params: fromBase64(doc.params, 'params', path),
    velocity: fromBase64(doc.velocity, 'velocity', path),
  };
  return {
    spec: doc.spec as ModelSpec,
    options: doc.options as ResolvedTrainingOptions,
    dataFingerprint: String(doc.dataFingerprint),
    state,
    minibatchCost: Array.isArray(doc.minibatchCost) ? (doc.minibatchCost as number[]) : [],
  };
}

/**
 * Checks a checkpoint belongs to this run: same model, same data, same options (only the
 * number of epochs may grow).
 * @throws GradswarmError GS_ERR_CHECKPOINT saying what differs
 */
export function checkResumable(checkpoint: Checkpoint, spec: ModelSpec, options: ResolvedTrainingOptions, dataFingerprint: string): void {
  if (JSON.stringify(checkpoint.spec) !== JSON.stringify(spec)) {
    throw checkpointError(`the checkpoint is of model ${checkpoint.spec.layers.join('-')} ${checkpoint.spec.hidden}/${checkpoint.spec.output}, this run builds ${spec.layers.join('-')} ${spec.hidden}/${spec.output} - help: resume with the same model flags`);
  }
  if (checkpoint.dataFingerprint !== dataFingerprint) throw checkpointError('the checkpoint was trained on other data (fingerprints differ) - help: resume with the same --dataset, --test-fraction, --scale and --seed');
  // Only how long the run goes may differ.
  const a = { ...checkpoint.options, epochs: 0, maxSteps: 0 };
  const b = { ...options, epochs: 0, maxSteps: 0 };
  for (const key of Object.keys(b) as (keyof ResolvedTrainingOptions)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      throw checkpointError(`the checkpoint was made with ${String(key)} = ${JSON.stringify(a[key])}, this run has ${JSON.stringify(b[key])} - help: resume with the same flags`);
    }
  }
}
