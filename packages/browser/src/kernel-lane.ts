/**
 * One Web Worker as a GradientSource on the page (the tab's counterpart of a Node pool's
 * ThreadLane): the request's shards one after the other on that worker, so lane-compute's
 * computeEach and computeSum (@gradswarm/worker) spread and sum a step exactly as a Node
 * worker does. One task at a time per lane; the weights and the epoch's order are posted only
 * when they change.
 */
import type { ModelSpec } from '@gradswarm/core';
import {
  computeShardByShard,
  type GradientRequest,
  type GradientSource,
  type ShardStats,
  type ShardTask,
} from '@gradswarm/worker';
import type { LaneReply, LaneTask } from './lane-messages.js';

export interface KernelLaneOptions {
  /** The lane script's URL (served by the coordinator at /join/lane.js). */
  readonly scriptUrl: string;
  readonly slot: number;
  readonly spec: ModelSpec;
  readonly blockRows: number;
  readonly wasm: Uint8Array;
  readonly data: Uint8Array;
}

export class KernelLane implements GradientSource {
  readonly label: string;
  readonly threads = 1;
  backend = 'wasm-simd';
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (r: ShardStats) => void; reject: (e: Error) => void; grad: Float32Array }
  >();
  private nextId = 1;
  private heldVersion = -1;
  private heldOrder: Uint32Array | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  /** Resolves once the worker has built its kernels and decoded the data. */
  readonly ready: Promise<void>;

  constructor(o: KernelLaneOptions) {
    this.label = `web worker ${o.slot}`;
    this.worker = new Worker(o.scriptUrl, { name: this.label });
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (e: MessageEvent<LaneReply>) => {
        const m = e.data;
        if (m.kind === 'ready') {
          this.backend = m.backend;
          resolve();
          return;
        }
        if (m.kind === 'error' && m.id === -1) {
          reject(new Error(`${this.label}: ${m.message}`));
          return;
        }
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.kind === 'error') w.reject(new Error(`${this.label}: ${m.message}`));
        else {
          w.grad.set(m.grad);
          w.resolve({ lossSum: m.lossSum, count: m.count, computeMs: m.computeMs });
        }
      };
      this.worker.onerror = (e) => {
        e.preventDefault();
        this.fail(new Error(`${this.label} failed: ${e.message || 'the script did not load'}`));
        reject(this.failure);
      };
    });
    this.worker.postMessage({ kind: 'init', spec: o.spec, blockRows: o.blockRows, wasm: o.wasm, data: o.data });
  }

  /** Sends the weights and the order with the next task whatever their numbers (a new session may be another run). */
  forget(): void {
    this.heldVersion = -1;
    this.heldOrder = null;
  }

  compute(request: GradientRequest): Promise<ShardStats[]> {
    return computeShardByShard(request, (task, grad) => this.computeOne(task, grad));
  }

  private computeOne(task: ShardTask, grad: Float32Array): Promise<ShardStats> {
    const run = this.queue.then(() => this.post(task, grad));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private post(task: ShardTask, grad: Float32Array): Promise<ShardStats> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const message: LaneTask = {
      kind: 'task',
      id,
      version: task.weightsVersion,
      epoch: task.epoch,
      batch: task.batch,
      offset: task.offset,
      count: task.count,
      // The trainer reuses one weights buffer per version: a copy goes, the page keeps its own.
      ...(task.weightsVersion === this.heldVersion ? {} : { weights: task.weights.slice() }),
      ...(task.order === this.heldOrder ? {} : { order: task.order }),
    };
    this.heldVersion = task.weightsVersion;
    this.heldOrder = task.order;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, grad });
      this.worker.postMessage(message);
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  close(): Promise<void> {
    this.worker.terminate();
    this.fail(new Error(`${this.label} was closed`));
    return Promise.resolve();
  }
}
