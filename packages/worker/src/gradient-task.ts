/**
 * The Piscina task file: the thread side of a local pool. Its one task serves the thread's
 * channel (thread-channel.ts) until the pool closes. A gradient job (numbers in the mailbox)
 * is a thin adapter around core's gradientSum over the shared buffers, the same function every
 * other worker calls; a replica of a local round and a slice of a step's update (core's
 * runStepSlice) come as a message on the port, read synchronously.
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
import { serveChannel, type ChannelEnd } from './thread-channel.js';
import { JOB_GRADIENT, JOB_MESSAGE, type PortJob } from './pool-jobs.js';
import type { GradientTaskMessage, GradientTaskResult, ReplicaTaskMessage } from './types.js';

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

/** Serves the channel the pool hands over (its port transferred) until the pool stops it. */
export default function serve(end: ChannelEnd): null {
  serveChannel(end, (kind, args, receive) => {
    if (kind === JOB_GRADIENT) {
      const stream = args[4] === 1;
      const task: GradientTaskMessage = { version: args[0], epoch: args[1], offset: args[2], count: args[3], stream };
      writeResult(computeShard(task), args);
    } else if (kind === JOB_MESSAGE) {
      // Messages of jobs the host took back before this thread started them are still queued.
      let message = receive() as PortJob;
      while (message.id !== args[0]) message = receive() as PortJob;
      const task = message.task;
      if (task.kind === 'replica') writeResult(computeReplica(task), args);
      else runStepSlice(task.job, backend);
    } else throw new Error(`thread ${slot}: unknown job kind ${kind}`);
  });
  return null;
}

function writeResult(result: GradientTaskResult, args: Float64Array): void {
  args[0] = result.lossSum;
  args[1] = result.count;
  args[2] = result.computeMs;
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
