/**
 * The Piscina task file: the thread side of a local pool. Its one task serves the thread's
 * channel (thread-channel.ts) until the pool closes: gradient jobs, a thin adapter around
 * core's gradientSum over the shared buffers (the same function every other worker calls), and
 * slice jobs, core's runStepSlice, this thread's share of a step's reduction and update.
 */
import { workerData } from 'node:worker_threads';
import { createWorkspace, gradientSum, runStepSlice, selectBackend } from '@gradswarm/core';
import { decodeSliceJob, JOB_GRADIENT, JOB_SLICE, JOB_SLICE_POSTED, ThreadBuffers } from './pool-jobs.js';
import { CONTROL_EPOCH, CONTROL_VERSION, viewSharedState, type SharedStateDescriptor } from './shared-state.js';
import { serveChannel, type ChannelEnd } from './thread-channel.js';

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
const ownSlot = views.slot(slot);

/** Serves the channel the pool hands over (its port transferred) until the pool stops it. */
export default function serve(end: ChannelEnd): null {
  let buffers: ThreadBuffers | null = null;
  serveChannel(end, (kind, args, receive) => {
    buffers ??= new ThreadBuffers(receive);
    if (kind === JOB_GRADIENT) computeShard(args, buffers);
    else if (kind === JOB_SLICE) runStepSlice(decodeSliceJob(args, buffers), backend);
    else if (kind === JOB_SLICE_POSTED) runStepSlice(buffers.job(), backend);
    else throw new Error(`thread ${slot}: unknown job kind ${kind}`);
  });
  return null;
}

/**
 * Σ∇ℓ of the shard in args[0..3] (version, epoch, offset, count) at the weights args[4..6]
 * names (the published copy when none) into the gradient args[7..9] names (this thread's slot
 * when none); lossSum, count and computeMs go back in args[0..2].
 */
function computeShard(args: Float64Array, buffers: ThreadBuffers): void {
  const started = performance.now();
  const [taskVersion, taskEpoch, offset, count] = args;
  const weights = buffers.view(args, 4);
  // The host publishes before posting; a mismatch means a scheduling bug, never stale math.
  const version = Atomics.load(views.control, CONTROL_VERSION);
  const epoch = Atomics.load(views.control, CONTROL_EPOCH);
  if ((weights === null && version !== taskVersion) || epoch !== taskEpoch) {
    throw new Error(
      `thread ${slot}: task for weights version ${taskVersion} epoch ${taskEpoch}, but version ${version} epoch ${epoch} is published`,
    );
  }
  const stats = gradientSum(
    backend,
    weights ?? views.weights,
    views.data,
    { index: views.order, offset, count },
    buffers.view(args, 7) ?? ownSlot,
    workspace,
  );
  args[0] = stats.lossSum;
  args[1] = stats.count;
  args[2] = performance.now() - started;
}
