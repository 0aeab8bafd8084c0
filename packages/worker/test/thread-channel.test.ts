/**
 * The pool's hand-off through shared memory (thread-channel.ts, pool-thread.ts): a job's error
 * comes back with its message and the thread serves on; a thread that dies fails the call; a
 * job taken back before the thread starts it is skipped there, one it has started cannot be
 * taken back; shards taken back by the caller have the thread's bits; a slice job goes by the
 * port with the same bits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  initializeParameters,
  parameterCount,
  referenceBackend,
  Rng,
  runStepSlice,
  stepSlices,
  type LabeledSamples,
  type ModelSpec,
  type StepSliceJob,
} from '@gradswarm/core';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { InProcessSource } from '../src/in-process-source.js';
import { LocalPool } from '../src/local-pool.js';
import { PoolThread } from '../src/pool-thread.js';
import { computeShard } from '../src/shard-compute.js';
import { ChannelHost, createMailbox } from '../src/thread-channel.js';

const spec: ModelSpec = { layers: [6, 5, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };

function randomData(count: number): LabeledSamples {
  const rng = new Rng(7);
  return {
    features: Float32Array.from({ length: count * 6 }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 6,
    classCount: 3,
  };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('the pool thread channel', () => {
  let pool: LocalPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("reports a job's error with its message, and the thread then serves the next job", async () => {
    const data = randomData(20);
    pool = new LocalPool({ spec, data, backend: 'reference', threads: 1 });
    const w = new Float32Array(parameterCount(spec.layers));
    initializeParameters(spec.layers, 'glorot', new Rng(1), w);
    const task = { weightsVersion: 0, weights: w, epoch: 0, batch: 0, order: new Rng(3).permutation(20) };
    const lane = pool.lanes[0];
    await expect(computeShard(lane, { ...task, offset: 15, count: 10 }, new Float32Array(w.length))).rejects.toThrow(
      /^thread 0 failed: sample selection runs past the end of the index/,
    );
    const got = new Float32Array(w.length);
    const expected = new Float32Array(w.length);
    const oracle = new InProcessSource({ spec, data, backend: referenceBackend });
    await computeShard(lane, { ...task, offset: 2, count: 10 }, got);
    await computeShard(oracle, { ...task, offset: 2, count: 10 }, expected);
    expect(bytes(got)).toEqual(bytes(expected));
  });

  it('runs a slice job (by the port, its arrays in shared memory) with the bits of this thread', async () => {
    const layers = [2, 2];
    const P = parameterCount(layers);
    pool = new LocalPool({ spec, data: randomData(4), backend: 'reference', threads: 1 });
    const make = (alloc: (n: number) => Float32Array) => {
      const r = new Rng(9);
      const parts = Array.from({ length: 1500 }, () => {
        const p = alloc(P);
        for (let i = 0; i < P; i++) p[i] = r.uniform(-1, 1);
        return p;
      });
      const params = alloc(P);
      for (let i = 0; i < P; i++) params[i] = r.uniform(-1, 1);
      return { parts, params, velocity: alloc(P) };
    };
    const shared = make((n) => pool!.helpers.allocate(n));
    const local = make((n) => new Float32Array(n));
    const job = (b: typeof shared, slice = stepSlices(layers, 1)[0]): StepSliceJob => ({
      slice,
      layers,
      parts: b.parts,
      total: b.parts[0],
      params: b.params,
      finish: true,
      l1: 0.001,
      l2: 0.01,
      scale: 1 / 1500,
      plan: { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true },
      buffers: { velocity: b.velocity },
    });
    await pool.helpers.run(0, job(shared));
    runStepSlice(job(local), null);
    expect(bytes(shared.params)).toEqual(bytes(local.params));
    expect(bytes(shared.velocity)).toEqual(bytes(local.velocity));
  });

  it('skips a job the host took back before the thread started it, and serves the next; a started job cannot be taken back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradswarm-channel-'));
    const channelUrl = new URL('../dist/thread-channel.js', import.meta.url).href;
    const file = join(dir, 'serve.mjs');
    writeFileSync(
      file,
      `import { serveChannel } from ${JSON.stringify(channelUrl)};\n` +
        'export default (end) => { serveChannel(end, (kind, args) => { args[0] = args[0] * 10 + kind; }); return null; };\n',
    );
    const mailbox = createMailbox();
    const { port1, port2 } = new MessageChannel();
    const host = new ChannelHost(mailbox, port1);
    host.args[0] = 1;
    const first = host.post(7);
    // No thread serves the mailbox yet, so the job is certainly not started.
    expect(host.steal(first)).toBe(true);
    const piscina = new Piscina({ filename: file, minThreads: 1, maxThreads: 1 });
    try {
      const served = piscina.run({ mailbox, port: port2, spinMicros: 0 }, { transferList: [port2] });
      host.args[0] = 2;
      const second = host.post(3);
      await host.wait(second);
      expect(host.args[0]).toBe(23);
      expect(host.steal(second)).toBe(false);
      host.stop();
      await served;
    } finally {
      port1.close();
      await piscina.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes a shard the caller takes back with the bits of the thread, in a pool that takes shards back', async () => {
    const data = randomData(40);
    pool = new LocalPool({ spec, data, backend: 'reference', threads: 2, takeBackWith: referenceBackend });
    const oracle = new InProcessSource({ spec, data, backend: referenceBackend });
    const P = parameterCount(spec.layers);
    const w = new Float32Array(P);
    initializeParameters(spec.layers, 'glorot', new Rng(8), w);
    const order = new Rng(6).permutation(40);
    // Right after the pool starts its threads are still loading, so these are likely taken
    // back; either way every gradient must have the in-process bits.
    const shards = [
      { offset: 0, count: 13 },
      { offset: 13, count: 14 },
    ];
    const got = shards.map(() => new Float32Array(P));
    const task = { weightsVersion: 0, weights: w, epoch: 0, batch: 0, order };
    const stats = await Promise.all(pool.lanes.map((lane, i) => computeShard(lane, { ...task, ...shards[i] }, got[i])));
    for (let i = 0; i < shards.length; i++) {
      const expected = new Float32Array(P);
      const e = await computeShard(oracle, { ...task, ...shards[i] }, expected);
      expect(stats[i].lossSum).toBe(e.lossSum);
      expect(bytes(got[i])).toEqual(bytes(expected));
    }
    const again = new Float32Array(P);
    await computeShard(pool.lanes[0], { ...task, ...shards[1] }, again);
    expect(bytes(again)).toEqual(bytes(got[1]));
    expect(pool.takenBack.shards).toBeLessThanOrEqual(3);
  });

  it("skips the port message of a slice the caller took back, running the next slice's own job with this thread's bits", async () => {
    const layers = [3, 2];
    const P = parameterCount(layers);
    pool = new LocalPool({
      spec,
      data: randomData(4),
      backend: 'reference',
      threads: 1,
      takeBackWith: referenceBackend,
    });
    const make = (alloc: (n: number) => Float32Array) => {
      const r = new Rng(4);
      const total = alloc(P);
      const params = alloc(P);
      for (let i = 0; i < P; i++) (total[i] = r.uniform(-1, 1)), (params[i] = r.uniform(-1, 1));
      return { total, params, velocity: alloc(P) };
    };
    const shared = make((n) => pool!.helpers.allocate(n));
    const here = make((n) => new Float32Array(n));
    const job = (b: typeof shared, learningRate: number): StepSliceJob => ({
      slice: stepSlices(layers, 1)[0],
      layers,
      parts: null,
      total: b.total,
      params: b.params,
      finish: false,
      l1: 0,
      l2: 0,
      scale: 1,
      plan: { name: 'sgd', learningRate, momentum: 0.5, nesterov: false },
      buffers: { velocity: b.velocity },
    });
    // The thread is still starting: a caller busy for 20 ms takes its job back (the message stays queued).
    for (let k = 0; k < 20 && pool.takenBack.slices === 0; k++) {
      const running = pool.helpers.run(0, job(shared, 0.1));
      const until = performance.now() + 20;
      while (performance.now() < until);
      await running;
      runStepSlice(job(here, 0.1), null);
    }
    expect(pool.takenBack.slices).toBeGreaterThan(0);
    // Learning rates differ per step: a thread that ran a stale message would step with 0.1.
    for (const learningRate of [0.2, 0.3]) {
      await pool.helpers.run(0, job(shared, learningRate));
      runStepSlice(job(here, learningRate), null);
    }
    expect(bytes(shared.params)).toEqual(bytes(here.params));
    expect(bytes(shared.velocity)).toEqual(bytes(here.velocity));
  });

  it('fails the call when the thread dies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradswarm-channel-'));
    const file = join(dir, 'exit.mjs');
    writeFileSync(file, 'export default () => { process.exit(3); };\n');
    const piscina = new Piscina({ filename: file, minThreads: 1, maxThreads: 1 });
    try {
      const thread = new PoolThread(4, piscina, 0);
      await expect(
        thread.run(
          () => 1,
          () => undefined,
        ),
      ).rejects.toThrow(/^thread 4 failed: /);
      await expect(
        thread.run(
          () => 1,
          () => undefined,
        ),
      ).rejects.toThrow(/^thread 4 failed: /);
    } finally {
      await piscina.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
