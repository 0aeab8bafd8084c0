/**
 * One Web Worker of a tab (a "lane", as a thread of `gradswarm worker`'s pool): the wasm kernels
 * built from the bytes the page hands over (a worker reads no files), the data set decoded once,
 * and the same InProcessSource and computeShard a Node thread runs, so a shard's gradient has
 * the bits of a Node `--kernel wasm` worker's. Bundled on its own (scripts/bundle.mjs) and
 * started by kernel-lane.ts with `new Worker('/join/lane.js')`.
 */
import { createWasmBackend } from '@gradswarm/core';
import { decodeDataset } from '@gradswarm/data';
import { computeShard, InProcessSource } from '@gradswarm/worker';
import type { LaneReply, LaneRequest } from './lane-messages.js';

/** The worker global, typed without the WebWorker library (the package builds with DOM). */
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<LaneRequest>) => void) | null;
  postMessage(message: LaneReply, transfer?: Transferable[]): void;
};

let source: InProcessSource | null = null;
let weights: Float32Array = new Float32Array(0);
let order: Uint32Array = new Uint32Array(0);

function handle(m: LaneRequest): Promise<void> | void {
  if (m.kind === 'init') {
    const backend = createWasmBackend({ bytes: m.wasm });
    if (!backend) throw new Error('this browser cannot run the WebAssembly SIMD kernels (wasm-simd)');
    const data = decodeDataset(m.data, 'the data set');
    source = new InProcessSource({ spec: m.spec, data, backend, blockRows: m.blockRows });
    scope.postMessage({ kind: 'ready', backend: backend.name });
    return;
  }
  if (!source) throw new Error('a task before the lane was initialised');
  if (m.weights) weights = m.weights;
  if (m.order) order = m.order;
  const grad = new Float32Array(weights.length);
  const started = performance.now();
  const task = { weightsVersion: m.version, weights, epoch: m.epoch, batch: m.batch, order };
  return computeShard(source, { ...task, offset: m.offset, count: m.count }, grad).then((stats) => {
    const reply: LaneReply = {
      kind: 'done',
      id: m.id,
      grad,
      lossSum: stats.lossSum,
      count: stats.count,
      computeMs: performance.now() - started,
    };
    scope.postMessage(reply, [grad.buffer]);
  });
}

scope.onmessage = (e) => {
  const id = e.data.kind === 'task' ? e.data.id : -1;
  const failed = (err: unknown): void =>
    scope.postMessage({ kind: 'error', id, message: (err as Error)?.message ?? String(err) });
  try {
    const done = handle(e.data);
    if (done) done.catch(failed);
  } catch (err) {
    failed(err);
  }
};
