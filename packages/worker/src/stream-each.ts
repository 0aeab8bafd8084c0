/**
 * Reduce `each` with the gradients streamed (issue 17 item 2): a step's shards are computed
 * whole on the lanes, and each gradient is handed to `send` in shard order as soon as it and
 * the ones before it are done, so a worker holds a few gradients at a time (`buffers`, about one
 * per lane), not one per shard. `send` applies the backpressure: it resolves once the frame is
 * on its way and the link has drained under its bound, and only then is the buffer reused.
 */
import type { GradientStats } from '@gradswarm/core';
import { computeShard } from './shard-compute.js';
import type { GradientSource, ShardRange, StepTask } from './types.js';

/** Buffers beyond one per lane: one shard can be computed while an earlier one is being sent. */
export const STREAM_SPARE_BUFFERS = 2;

/** How many gradient buffers a streamed step of `shards` shards on `lanes` lanes uses. */
export function streamBufferCount(shards: number, lanes: number): number {
  return Math.max(1, Math.min(shards, lanes + STREAM_SPARE_BUFFERS));
}

/**
 * Every shard's gradient whole, each handed to `send(k, grad)` in shard order. A lane takes a
 * buffer before it takes the next shard, so the lowest shard not sent yet always has one and the
 * stream cannot deadlock. Each gradient's bits are those of `computeEach` (one lane computes a
 * shard whole, whichever lane it is).
 * @param buffers at least one, each P long (streamBufferCount of them is enough)
 * @returns the shards' statistics in shard order, once every gradient was sent
 */
export async function computeEachStreamed(
  lanes: readonly GradientSource[],
  task: StepTask,
  shards: readonly ShardRange[],
  buffers: readonly Float32Array[],
  send: (k: number, grad: Float32Array) => Promise<void>,
): Promise<GradientStats[]> {
  if (buffers.length === 0) throw new RangeError('computeEachStreamed needs at least one gradient buffer');
  const results: GradientStats[] = new Array(shards.length);
  const free = [...buffers];
  const waiting: Array<(buffer: Float32Array) => void> = [];
  const done = new Map<number, Float32Array>();
  let nextShard = 0;
  let nextToSend = 0;
  let failed = false;
  let sending: Promise<void> = Promise.resolve();

  const acquire = (): Promise<Float32Array> => {
    const buffer = free.pop();
    return buffer ? Promise.resolve(buffer) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (buffer: Float32Array): void => {
    const next = waiting.shift();
    if (next) next(buffer);
    else free.push(buffer);
  };
  // One sender at a time, in shard order: a gradient done early waits in its buffer.
  const flush = (): Promise<void> => {
    sending = sending.then(async () => {
      while (!failed && done.has(nextToSend)) {
        const k = nextToSend;
        const grad = done.get(k)!;
        done.delete(k);
        await send(k, grad);
        nextToSend++;
        release(grad);
      }
    });
    return sending;
  };

  await Promise.all(
    lanes.map(async (lane) => {
      for (;;) {
        const buffer = await acquire();
        if (failed || nextShard >= shards.length) {
          release(buffer);
          return;
        }
        const k = nextShard++;
        try {
          results[k] = await computeShard(lane, { ...task, ...shards[k] }, buffer);
          done.set(k, buffer);
          await flush();
        } catch (err) {
          failed = true;
          // Lanes waiting for a buffer are let go; they see `failed` and stop.
          for (const w of waiting.splice(0)) w(buffer);
          throw err;
        }
      }
    }),
  );
  await sending;
  return results;
}
