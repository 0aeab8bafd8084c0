/**
 * A pool thread's jobs as numbers in its channel's args (thread-channel.ts), and the shared
 * buffers they name. The pool's buffers (LocalPool.helpers.allocate: the trainer's weights,
 * gradients and optimizer state when it shares the update) are posted to every thread once, as
 * they are made, and a job names them by number: a thread reads the weights and writes its
 * gradient where the trainer keeps them, so nothing of size P is copied per step. Arrays from
 * elsewhere go through the pool's own weights copy and gradient slots instead.
 */
import type { OptimizerStepPlan, StepSliceJob } from '@gradswarm/core';
import type { ChannelHost } from './thread-channel.js';

/** Σ∇ℓ of a shard: version, epoch, offset, count, weights ref, gradient ref → lossSum, count, computeMs. */
export const JOB_GRADIENT = 1;
/** A slice of a step's update, encoded in args. */
export const JOB_SLICE = 2;
/** A slice whose job did not fit in args: it is the next job message on the port. */
export const JOB_SLICE_POSTED = 3;

/** A ref's id for "not a pool buffer": the weights copy or the thread's own slot. */
export const NO_BUFFER = -1;

/** A shared buffer made known to a thread (port message). */
interface BufferMessage {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
}

/** A job too big for args (port message). */
interface JobMessage {
  readonly job: StepSliceJob;
}

/** The host's table of the pool's shared buffers; every thread learns each one once. */
export class SharedBuffers {
  private readonly ids = new WeakMap<ArrayBufferLike, number>();
  private next = 0;

  constructor(private readonly hosts: readonly ChannelHost[]) {}

  /** A zeroed Float32Array in shared memory that every thread can name. */
  allocate(length: number): Float32Array {
    const buffer = new SharedArrayBuffer(length * 4);
    const id = this.next++;
    this.ids.set(buffer, id);
    const message: BufferMessage = { id, buffer };
    for (const host of this.hosts) host.send(message);
    return new Float32Array(buffer);
  }

  /** Whether `array` lies in one of the pool's buffers. */
  owns(array: Float32Array): boolean {
    return this.ids.has(array.buffer);
  }

  /** Writes `array` as (id, first float, length) at args[at..at+3); NO_BUFFER when not the pool's. */
  ref(array: Float32Array | null, args: Float64Array, at: number): void {
    const id = array === null ? undefined : this.ids.get(array.buffer);
    args[at] = id ?? NO_BUFFER;
    args[at + 1] = id === undefined ? 0 : array!.byteOffset / 4;
    args[at + 2] = id === undefined ? 0 : array!.length;
  }

  /**
   * Like ref, for arrays that must be the pool's.
   * @throws RangeError naming `what` if it is not
   */
  mustRef(array: Float32Array, args: Float64Array, at: number, what: string): void {
    if (!this.owns(array))
      throw new RangeError(`${what} is not in the pool's shared memory - allocate it with the pool's helpers.allocate`);
    this.ref(array, args, at);
  }
}

/** The thread's side of SharedBuffers: views of the buffers by number. */
export class ThreadBuffers {
  private readonly buffers: SharedArrayBuffer[] = [];

  constructor(private readonly receive: () => unknown) {}

  /** The view a ref names, or null for NO_BUFFER. */
  view(args: Float64Array, at: number): Float32Array | null {
    const id = args[at];
    if (id === NO_BUFFER) return null;
    while (this.buffers[id] === undefined) this.take();
    return new Float32Array(this.buffers[id], args[at + 1] * 4, args[at + 2]);
  }

  /** The next posted job, registering the buffers posted before it. */
  job(): StepSliceJob {
    for (;;) {
      const job = this.take();
      if (job) return job;
    }
  }

  private take(): StepSliceJob | null {
    const message = this.receive() as BufferMessage | JobMessage;
    if ('job' in message) return message.job;
    this.buffers[message.id] = message.buffer;
    return null;
  }
}

/** The optimizer state buffers a slice can name (sgd: velocity; adam, adamw: m and v). */
const BUFFER_NAMES = ['velocity', 'm', 'v'];
const PLAN_NAMES = ['sgd', 'adam', 'adamw'] as const;

// Slice layout: slice [0-3], finish, l1, l2, scale [4-7], plan code [8], plan numbers [9-15],
// total [16-18], params [19-21], buffer count [22], then per buffer name code + ref, the
// layers (count then sizes), the parts (count, -1 for null, then refs).
const PLAN_AT = 8;
const TOTAL_AT = 16;
const PARAMS_AT = 19;
const BUFFERS_AT = 22;

/**
 * Writes `job` into args; false when it does not fit (then post it whole, JOB_SLICE_POSTED).
 * @throws RangeError if a buffer is not the pool's or the optimizer's buffers are unknown
 */
export function encodeSliceJob(job: StepSliceJob, table: SharedBuffers, args: Float64Array): boolean {
  const names = Object.keys(job.buffers);
  const length = BUFFERS_AT + 1 + 4 * names.length + 1 + job.layers.length + 1 + 3 * (job.parts?.length ?? 0);
  if (length > args.length) return false;
  const { slice, plan } = job;
  args[0] = slice.from;
  args[1] = slice.to;
  args[2] = slice.rowFrom;
  args[3] = slice.rowTo;
  args[4] = job.finish ? 1 : 0;
  args[5] = job.l1;
  args[6] = job.l2;
  args[7] = job.scale;
  args[PLAN_AT] = plan === null ? -1 : PLAN_NAMES.indexOf(plan.name);
  if (plan?.name === 'sgd') {
    args[9] = plan.learningRate;
    args[10] = plan.momentum;
    args[11] = plan.nesterov ? 1 : 0;
  } else if (plan) {
    args[9] = plan.learningRate;
    args[10] = plan.beta1;
    args[11] = plan.beta2;
    args[12] = plan.eps;
    args[13] = plan.correction1;
    args[14] = plan.correction2;
    args[15] = plan.decay;
  }
  table.mustRef(job.total, args, TOTAL_AT, 'the update total');
  table.mustRef(job.params, args, PARAMS_AT, 'the parameters');
  let at = BUFFERS_AT;
  args[at++] = names.length;
  for (const name of names) {
    const code = BUFFER_NAMES.indexOf(name);
    if (code < 0) throw new RangeError(`a pool thread steps optimizer buffers ${BUFFER_NAMES.join(', ')}, not ${name}`);
    args[at] = code;
    table.mustRef(job.buffers[name], args, at + 1, `the optimizer buffer ${name}`);
    at += 4;
  }
  args[at++] = job.layers.length;
  for (const units of job.layers) args[at++] = units;
  args[at++] = job.parts === null ? -1 : job.parts.length;
  for (const part of job.parts ?? []) {
    table.mustRef(part, args, at, 'a shard gradient');
    at += 3;
  }
  return true;
}

/** The job encodeSliceJob wrote, its arrays viewing the same shared memory. */
export function decodeSliceJob(args: Float64Array, buffers: ThreadBuffers): StepSliceJob {
  const code = args[PLAN_AT];
  let plan: OptimizerStepPlan | null = null;
  if (code === 0) plan = { name: 'sgd', learningRate: args[9], momentum: args[10], nesterov: args[11] === 1 };
  else if (code > 0)
    plan = {
      name: PLAN_NAMES[code] as 'adam' | 'adamw',
      learningRate: args[9],
      beta1: args[10],
      beta2: args[11],
      eps: args[12],
      correction1: args[13],
      correction2: args[14],
      decay: args[15],
    };
  let at = BUFFERS_AT;
  const named: Record<string, Float32Array> = {};
  for (let n = args[at++]; n > 0; n--) {
    named[BUFFER_NAMES[args[at]]] = buffers.view(args, at + 1)!;
    at += 4;
  }
  const layers: number[] = [];
  for (let n = args[at++]; n > 0; n--) layers.push(args[at++]);
  const partCount = args[at++];
  let parts: Float32Array[] | null = null;
  if (partCount >= 0) {
    parts = [];
    for (let k = 0; k < partCount; k++, at += 3) parts.push(buffers.view(args, at)!);
  }
  return {
    slice: { from: args[0], to: args[1], rowFrom: args[2], rowTo: args[3] },
    layers,
    parts,
    total: buffers.view(args, TOTAL_AT)!,
    params: buffers.view(args, PARAMS_AT)!,
    finish: args[4] === 1,
    l1: args[5],
    l2: args[6],
    scale: args[7],
    plan,
    buffers: named,
  };
}
