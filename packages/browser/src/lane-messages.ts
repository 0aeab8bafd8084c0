/**
 * What the page and one of its Web Workers (lane-worker.ts) say to each other. The weights go
 * to a lane only when their version changed and the epoch's order only when the epoch changed,
 * as a Node worker's thread pool publishes them once per step into shared memory; a task is then
 * a few numbers, and its answer the gradient (transferred, not copied) and two sums.
 */
import type { ModelSpec } from '@gradswarm/core';

/** Page → lane, once: what to compute with. */
export interface LaneInit {
  readonly kind: 'init';
  readonly spec: ModelSpec;
  readonly blockRows: number;
  /** The wasm kernels' module bytes (core's wasm/gradswarm_kernels.wasm, served at /join). */
  readonly wasm: Uint8Array;
  /** The encoded data set (data's encodeDataset). */
  readonly data: Uint8Array;
}

/** Page → lane: one shard. */
export interface LaneTask {
  readonly kind: 'task';
  readonly id: number;
  readonly version: number;
  /** Present when the lane does not hold this version yet. */
  readonly weights?: Float32Array;
  readonly epoch: number;
  readonly batch: number;
  /** Present when the lane does not hold this epoch's order yet. */
  readonly order?: Uint32Array;
  readonly offset: number;
  readonly count: number;
}

export type LaneRequest = LaneInit | LaneTask;

/** Lane → page. */
export type LaneReply =
  | { readonly kind: 'ready'; readonly backend: string }
  | {
      readonly kind: 'done';
      readonly id: number;
      readonly grad: Float32Array;
      readonly lossSum: number;
      readonly count: number;
      readonly computeMs: number;
    }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };
