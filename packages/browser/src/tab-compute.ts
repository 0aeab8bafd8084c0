/**
 * The tab's compute: its Web Workers (kernel-lane.ts) over the welcomed run's data set, and a
 * step served as `gradswarm worker` serves it (remote-client.ts): the weights taken from the
 * step or kept from the last one, the epoch's order from the seed, and the shards spread with
 * @gradswarm/worker's computeEach (reproducible mode: each shard whole, the coordinator sums in
 * shard order) or computeSum (every shard split over the lanes and summed in lane order). Only
 * the wasm kernels run here, so a reproducible run that uses them everywhere repeats bit for bit.
 */
import { parameterCount, type GradientStats } from '@gradswarm/core';
import { epochPermutation } from '@gradswarm/data';
import {
  readTensor,
  type StepMessage,
  type WelcomeMessage,
  type WireTensor,
  type WorkerResult,
} from '@gradswarm/protocol';
import { computeEach, computeSum } from '@gradswarm/worker';
import { KernelLane } from './kernel-lane.js';

/** The result fields of a step (the session copies in its step, request and version, and frames the gradients). */
export type StepAnswer = WorkerResult;

export class TabCompute {
  private lanes: KernelLane[] = [];
  private key = '';
  private welcome: WelcomeMessage | null = null;
  private weights = new Float32Array(0);
  private version = -1;
  private order: { epoch: number; values: Uint32Array } | null = null;
  private scratch: Float32Array[] = [];

  /**
   * @param threads Web Workers to start
   * @param laneUrl the lane script's URL
   * @param wasm the kernels' module bytes
   */
  constructor(
    readonly threads: number,
    private readonly laneUrl: string,
    private readonly wasm: Uint8Array,
  ) {}

  /** Starts the lanes for the welcomed run (kept across reconnects to the same run). */
  async prepare(welcome: WelcomeMessage, data: Uint8Array): Promise<void> {
    this.welcome = welcome;
    const key = `${welcome.dataset.fingerprint}|${JSON.stringify(welcome.spec)}|${welcome.config.blockRows}`;
    this.version = -1;
    this.order = null;
    if (this.key === key && this.lanes.length > 0) {
      // Version numbers start again in another run of the same model and data.
      for (const lane of this.lanes) lane.forget();
      return;
    }
    await this.close();
    const o = {
      scriptUrl: this.laneUrl,
      spec: welcome.spec,
      blockRows: welcome.config.blockRows,
      wasm: this.wasm,
      data,
    };
    this.lanes = Array.from({ length: this.threads }, (_, slot) => new KernelLane({ ...o, slot }));
    await Promise.all(this.lanes.map((l) => l.ready));
    this.key = key;
    this.weights = new Float32Array(parameterCount(welcome.spec.layers));
    this.scratch = [];
  }

  /** The lanes' backend (wasm-simd). */
  get backend(): string {
    return this.lanes[0]?.backend ?? 'wasm-simd';
  }

  /**
   * Computes one step's shards.
   * @throws Error when the step needs weights this tab does not hold, or a lane failed
   */
  async serve(step: StepMessage, weights?: WireTensor): Promise<StepAnswer> {
    // A tab runs no replicas: answering a local-SGD round with a plain gradient would corrupt the
    // average silently, so the tab fails the step and the coordinator recomputes it elsewhere.
    if (step.local) throw new Error('a local-SGD round (--sync-every) for a browser tab, which runs no replicas');
    if (!this.welcome || this.lanes.length === 0) throw new Error('a step arrived before the data set was ready');
    if (step.chain) throw new Error('a chain step for a browser tab, which cannot listen for peers');
    if (weights) {
      // Into the buffer the lanes read, reused across steps (protocol v3: the weights' tensor frame).
      readTensor(this.weights, weights, `the weights of step ${step.step}`);
      this.version = step.version;
    } else if (step.version !== this.version) {
      throw new Error(`step ${step.step} needs weights version ${step.version} but this tab holds ${this.version}`);
    }
    const started = performance.now();
    const task = {
      weightsVersion: step.version,
      weights: this.weights,
      epoch: step.epoch,
      batch: step.batch,
      order: this.orderFor(step.epoch),
    };
    let grads: Float32Array[];
    let stats: GradientStats[];
    if (step.reduce === 'sum') {
      const [out, ...scratch] = this.buffers(this.lanes.length + 1);
      stats = [await computeSum(this.lanes, task, step.shards, out, scratch)];
      grads = [out];
    } else {
      grads = this.buffers(step.shards.length);
      stats = await computeEach(this.lanes, task, step.shards, grads);
    }
    return {
      grads,
      lossSums: stats.map((s) => s.lossSum),
      counts: stats.map((s) => s.count),
      computeMs: performance.now() - started,
    };
  }

  private orderFor(epoch: number): Uint32Array {
    const w = this.welcome!;
    if (this.order?.epoch !== epoch) {
      const n = w.dataset.count;
      const values = w.config.shuffle
        ? epochPermutation(w.config.seed, epoch, n)
        : Uint32Array.from({ length: n }, (_, i) => i);
      this.order = { epoch, values };
    }
    return this.order.values;
  }

  private buffers(n: number): Float32Array[] {
    while (this.scratch.length < n) this.scratch.push(new Float32Array(this.weights.length));
    return this.scratch.slice(0, n);
  }

  /** Stops the Web Workers. */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
    this.lanes = [];
    this.key = '';
  }
}
