/**
 * The Piscina task file: the thread side of a local pool. A thin adapter around core's
 * gradientSum over the shared buffers, the same function every other worker calls; and around
 * core's runStepSlice, this thread's share of a step's reduction and update.
 */
import { workerData } from 'node:worker_threads';
import { createWorkspace, gradientSum, runStepSlice, selectBackend } from '@gradswarm/core';
import { ReplicaRunner } from './replica-round.js';
import {
  CONTROL_EPOCH,
  CONTROL_VERSION,
  CONTROL_WEIGHTS_READY,
  controlGradReady,
  viewSharedState,
  type SharedStateDescriptor,
} from './shared-state.js';
import type { GradientTaskMessage, GradientTaskResult, ReplicaTaskMessage, SliceTaskMessage } from './types.js';

interface ThreadData {
  readonly shared: SharedStateDescriptor;
  readonly slot: number;
  readonly backend: string;
  readonly blockRows: number;
}

const { shared, slot, backend: backendName, blockRows } = workerData as ThreadData;
const views = viewSharedState(shared);
const backend = selectBackend(backendName);
const workspace = createWorkspace(shared.spec, blockRows);
const grad = views.slot(slot);
const replicas = new ReplicaRunner(shared.spec, views.data, backend, blockRows);
const P = shared.parameterCount;
const control = views.control;
const progress = controlGradReady(slot);

/** Blocks this thread until the host has written weights[0, end) (the chain streams them in). */
function awaitWeights(end: number): void {
  let have = Atomics.load(control, CONTROL_WEIGHTS_READY);
  if (have >= end) return;
  const from = performance.now();
  while (have < end) {
    Atomics.wait(control, CONTROL_WEIGHTS_READY, have);
    have = Atomics.load(control, CONTROL_WEIGHTS_READY);
  }
  waitedMs += performance.now() - from;
}
/** Time the current task spent waiting for weights, not computing. */
let waitedMs = 0;

/** Tells the host grad[0, end) is final; it may be waiting in Atomics.waitAsync. */
function gradReady(end: number): void {
  Atomics.store(control, progress, end);
  Atomics.notify(control, progress);
}

/**
 * A gradient task (Σ∇ℓ of a shard into this thread's slot), a replica of a local round (its
 * weight change into the slot) or a slice of a step's update.
 */
export default function runTask(
  task: GradientTaskMessage | ReplicaTaskMessage | SliceTaskMessage,
): GradientTaskResult | null {
  if (!('kind' in task)) return computeShard(task);
  if (task.kind === 'replica') return computeReplica(task);
  runStepSlice(task.job, backend);
  return null;
}

/** Checks the task's weights version and epoch are the ones published. */
function checkPublished(task: { readonly version: number; readonly epoch: number }): void {
  // The coordinator publishes before dispatching; a mismatch means a scheduling bug, never stale math.
  const version = Atomics.load(views.control, CONTROL_VERSION);
  const epoch = Atomics.load(views.control, CONTROL_EPOCH);
  if (version !== task.version || epoch !== task.epoch) {
    throw new Error(
      `thread ${slot}: task for weights version ${task.version} epoch ${task.epoch}, but version ${version} epoch ${epoch} is published`,
    );
  }
}

/** One replica of a local round from the published weights into this thread's slot. */
function computeReplica(task: ReplicaTaskMessage): GradientTaskResult {
  const started = performance.now();
  checkPublished(task);
  const stats = replicas.run(views.weights, views.order, task.plan, task.replica, grad);
  return { lossSum: stats.lossSum, count: stats.count, computeMs: performance.now() - started };
}

/** Computes Σ∇ℓ of a shard into this thread's gradient slot. */
function computeShard(task: GradientTaskMessage): GradientTaskResult {
  const started = performance.now();
  checkPublished(task);
  // Weights still arriving: the first layer waits for its rows block by block (same bits).
  const streaming = Atomics.load(control, CONTROL_WEIGHTS_READY) < P;
  waitedMs = 0;
  const overlap =
    streaming || task.stream === true
      ? { awaitParams: streaming ? awaitWeights : undefined, onGradReady: task.stream === true ? gradReady : undefined }
      : null;
  const stats = gradientSum(
    backend,
    views.weights,
    views.data,
    { index: views.order, offset: task.offset, count: task.count },
    grad,
    workspace,
    false,
    overlap,
  );
  return { lossSum: stats.lossSum, count: stats.count, computeMs: performance.now() - started - waitedMs };
}
