/**
 * The buffers a machine's threads share (architecture §4, inside one machine): the data set once,
 * the current weights version, the current epoch's sample order, and one gradient slot per
 * thread. A task then carries only (version, epoch, offset, count); nothing large is copied
 * between threads per step.
 *
 * Layout of `control` (Int32): [0] published weights version, [1] published epoch, [2] how many
 * floats of the weights are in (a prefix: the chain streams them in while the threads compute),
 * [3 + slot] how many floats of that slot's gradient are final (a streamed task reports its
 * progress there, so the host can send finished blocks on while the thread computes the rest).
 */
import type { LabeledSamples, ModelSpec } from '@gradswarm/core';
import { parameterCount } from '@gradswarm/core';

export const CONTROL_VERSION = 0;
export const CONTROL_EPOCH = 1;
export const CONTROL_WEIGHTS_READY = 2;
/** Index in `control` of a slot's gradient progress. */
export function controlGradReady(slot: number): number {
  return 3 + slot;
}

/** Everything a thread needs to attach to the shared buffers; passed as Piscina workerData. */
export interface SharedStateDescriptor {
  readonly spec: ModelSpec;
  readonly features: SharedArrayBuffer;
  readonly labels: SharedArrayBuffer;
  readonly count: number;
  readonly featureCount: number;
  readonly classCount: number;
  readonly weights: SharedArrayBuffer;
  readonly order: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly slots: number;
  readonly parameterCount: number;
}

/** Views over a descriptor's buffers (the same memory on every thread). */
export interface SharedViews {
  readonly data: LabeledSamples;
  readonly weights: Float32Array;
  readonly order: Uint32Array;
  readonly control: Int32Array;
  slot(index: number): Float32Array;
}

/** Copies the data set into shared memory and allocates the per-step buffers. */
export function createSharedState(spec: ModelSpec, data: LabeledSamples, slots: number): SharedStateDescriptor {
  const P = parameterCount(spec.layers);
  const features = new SharedArrayBuffer(data.count * data.featureCount * 4);
  new Float32Array(features).set(data.features.subarray(0, data.count * data.featureCount));
  const labels = new SharedArrayBuffer(data.count * 4);
  new Int32Array(labels).set(data.labels.subarray(0, data.count));
  const control = new SharedArrayBuffer(controlGradReady(slots) * 4);
  new Int32Array(control).fill(-1);
  return {
    spec,
    features,
    labels,
    count: data.count,
    featureCount: data.featureCount,
    classCount: data.classCount,
    weights: new SharedArrayBuffer(P * 4),
    order: new SharedArrayBuffer(data.count * 4),
    grads: new SharedArrayBuffer(slots * P * 4),
    control,
    slots,
    parameterCount: P,
  };
}

/** Typed-array views over a descriptor's buffers. */
export function viewSharedState(d: SharedStateDescriptor): SharedViews {
  const P = d.parameterCount;
  const grads = new Float32Array(d.grads);
  return {
    data: {
      features: new Float32Array(d.features),
      labels: new Int32Array(d.labels),
      count: d.count,
      featureCount: d.featureCount,
      classCount: d.classCount,
    },
    weights: new Float32Array(d.weights),
    order: new Uint32Array(d.order),
    control: new Int32Array(d.control),
    slot: (index) => grads.subarray(index * P, (index + 1) * P),
  };
}
