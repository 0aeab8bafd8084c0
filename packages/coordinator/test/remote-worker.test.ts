import { describe, expect, it } from 'vitest';
import { float32ToBytes, type StepRequest, type WireTensor } from '@gradswarm/protocol';
import { RemoteWorker } from '../src/remote-worker.js';

/** Lets the worker's request queue send (it sends a few microtasks after compute is called). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const task = { weightsVersion: 3, weights: new Float32Array(4), epoch: 0, batch: 1, order: new Uint32Array(10) };

/** What the link was asked to send (the session would add t and the request id). */
type SentStep = StepRequest;

/** A received float32 tensor as the session hands it over. */
const f32 = (...values: number[]): WireTensor => ({ dtype: 'f32', bytes: float32ToBytes(Float32Array.from(values)) });

function worker(): { w: RemoteWorker; sent: SentStep[] } {
  const sent: SentStep[] = [];
  const w = new RemoteWorker(
    1,
    'w',
    2,
    'reference',
    { sendStep: (m) => void sent.push(m), close: () => undefined, dropped: () => undefined, abandon: () => undefined },
    60_000,
  );
  w.state = 'READY';
  return { w, sent };
}

describe('RemoteWorker#compute', () => {
  it('asks for each shard whole in each mode, copies the gradients and reports every buffer ready', async () => {
    const { w, sent } = worker();
    const grads = [new Float32Array(4), new Float32Array(4)];
    const ready: number[][] = [];
    const done = w.compute({
      task,
      shards: [
        { offset: 0, count: 3 },
        { offset: 3, count: 2 },
      ],
      mode: 'each',
      grads,
      onReady: (...r) => ready.push(r),
    });
    await flush();
    // The wire step is the trainer's global step, here the weights version.
    expect(sent[0]).toMatchObject({
      step: 3,
      version: 3,
      reduce: 'each',
      shards: [
        { offset: 0, count: 3 },
        { offset: 3, count: 2 },
      ],
    });
    const step = sent[0].step;
    w.onGradient(0, f32(1, 2, 3, 4));
    w.onGradient(1, f32(5, 6, 7, 8));
    expect([...grads[0]]).toEqual([1, 2, 3, 4]); // copied out as each frame comes
    expect(ready).toEqual([]); // nothing is final before the result
    w.onResult({
      t: 'result',
      step,
      request: 1,
      version: 3,
      grads: 2,
      lossSums: [0.5, 0.25],
      counts: [3, 2],
      computeMs: 4,
    });
    const stats = await done;
    expect(stats.map((s) => [s.lossSum, s.count])).toEqual([
      [0.5, 3],
      [0.25, 2],
    ]);
    expect([...grads[1]]).toEqual([5, 6, 7, 8]);
    expect(ready).toEqual([
      [0, 0, 4],
      [1, 0, 4],
    ]);
  });

  it('asks for one summed gradient in sum mode', async () => {
    const { w, sent } = worker();
    const out = new Float32Array(4);
    const done = w.compute({ task, shards: [{ offset: 2, count: 6 }], mode: 'sum', grads: [out] });
    await flush();
    expect(sent[0]).toMatchObject({ reduce: 'sum', shards: [{ offset: 2, count: 6 }] });
    w.onGradient(0, f32(1, 1, 1, 1));
    w.onResult({
      t: 'result',
      step: sent[0].step,
      request: 1,
      version: 3,
      grads: 1,
      lossSums: [2],
      counts: [6],
      computeMs: 1,
    });
    expect(await done).toEqual([{ lossSum: 2, count: 6, computeMs: 1 }]);
    expect([...out]).toEqual([1, 1, 1, 1]);
  });

  it('rejects a request whose buffers do not fit its mode, sending nothing', async () => {
    const { w, sent } = worker();
    await expect(
      w.compute({
        task,
        shards: [
          { offset: 0, count: 1 },
          { offset: 1, count: 1 },
        ],
        mode: 'sum',
        grads: [new Float32Array(4), new Float32Array(4)],
      }),
    ).rejects.toThrow(RangeError);
    expect(sent).toEqual([]);
  });
});
