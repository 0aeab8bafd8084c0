/** Chain peer links over real sockets on 127.0.0.1: authentication, chunks both ways, refusals. */
import { ChunkKind, deriveTokenKey, frameChunk, signChunk, type SessionKey } from '@gradswarm/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainMember } from '../src/chain-member.js';
import { PeerEndpoint } from '../src/peer-endpoint.js';
import { dialPeer, PeerLinkError, type PeerLink } from '../src/peer-link.js';

const TOKEN = 'peer-link-test-token-0123';
const P = 10;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function endpoint(token = TOKEN): Promise<{ ep: PeerEndpoint; url: string; logs: string[] }> {
  const logs: string[] = [];
  const ep = await PeerEndpoint.open({
    host: '127.0.0.1',
    tokenKey: await deriveTokenKey(token),
    log: (l) => logs.push(l),
  });
  ep.setParameterCount(P);
  open.push(ep);
  return { ep, url: `ws://127.0.0.1:${ep.port}/`, logs };
}

describe('chain peer links', () => {
  it('carries chunks both ways in order and counts their bytes', async () => {
    const { ep, url } = await endpoint();
    const dialled = await dialPeer(url, await deriveTokenKey(TOKEN), 4, 9, P);
    open.push({ close: () => dialled.close(1000, 'done') });
    const accepted = await ep.linkFrom(4);
    await dialled.send(ChunkKind.SUM, 1, 0, Float32Array.of(1, 2, 3));
    await dialled.send(ChunkKind.SUM, 1, 3, Float32Array.of(4));
    await accepted.send(ChunkKind.WEIGHTS, 1, 0, Float32Array.of(5));
    expect(Array.from((await accepted.next(ChunkKind.SUM, 1)).floats)).toEqual([1, 2, 3]);
    expect((await accepted.next(ChunkKind.SUM, 1)).offset).toBe(3);
    expect(Array.from((await dialled.next(ChunkKind.WEIGHTS, 1)).floats)).toEqual([5]);
    // Frames of 3 and 1 floats: a 32-byte header, the floats and a 16-byte GMAC each.
    expect(ep.traffic.receivedBytes).toBe(2 * 48 + 16);
  });

  it('forwards a received frame to the next link under its own key, and reuses sent frames without mixing them', async () => {
    // a → b (b's endpoint) and b → c (c's endpoint): b relays what a sent, as a worker relays weights.
    const b = await endpoint();
    const c = await endpoint();
    const aToB = await dialPeer(b.url, await deriveTokenKey(TOKEN), 1, 2, P);
    const bToC = await dialPeer(c.url, await deriveTokenKey(TOKEN), 2, 3, P);
    open.push({ close: () => aToB.close(1000, 'done') }, { close: () => bToC.close(1000, 'done') });
    const atB = await b.ep.linkFrom(1);
    const atC = await c.ep.linkFrom(2);
    // Several frames in flight from one pool, each filled in place: none may see another's floats.
    const sends = [1, 2, 3].map((v) => aToB.sendFilled(ChunkKind.WEIGHTS, 5, 0, 4, (out) => out.fill(v)));
    await bToC.send(ChunkKind.WEIGHTS, 5, 8, Float32Array.of(9, 9)); // b → c has its own numbering
    for (let k = 0; k < 3; k++) await bToC.forward(await atB.next(ChunkKind.WEIGHTS, 5));
    await Promise.all(sends);
    await aToB.sendFilled(ChunkKind.WEIGHTS, 5, 4, 4, (out) => out.fill(4));
    await bToC.forward(await atB.next(ChunkKind.WEIGHTS, 5));
    const got: number[][] = [];
    for (let k = 0; k < 5; k++) got.push(Array.from((await atC.next(ChunkKind.WEIGHTS, 5)).floats));
    expect(got).toEqual([
      [9, 9],
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
      [4, 4, 4, 4],
    ]);
    expect(atC.open && atB.open).toBe(true);
  });

  it('drops chunks of an older round and keeps those of the next', async () => {
    const { ep, url } = await endpoint();
    const dialled = await dialPeer(url, await deriveTokenKey(TOKEN), 1, 2, P);
    open.push({ close: () => dialled.close(1000, 'done') });
    const accepted = await ep.linkFrom(1);
    await dialled.send(ChunkKind.SUM, 1, 0, Float32Array.of(1));
    await dialled.send(ChunkKind.SUM, 3, 0, Float32Array.of(3));
    await dialled.send(ChunkKind.SUM, 2, 0, Float32Array.of(2));
    expect(Array.from((await accepted.next(ChunkKind.SUM, 2)).floats)).toEqual([2]);
    expect(Array.from((await accepted.next(ChunkKind.SUM, 3)).floats)).toEqual([3]);
  });

  it('refuses a peer with a wrong token, on both sides', async () => {
    const { url, logs } = await endpoint();
    await expect(dialPeer(url, await deriveTokenKey(`${TOKEN}-wrong`), 1, 2, P)).rejects.toThrow(
      /cannot open the chain link to worker 2.*does not hold this run token/,
    );
    const other = await endpoint(`${TOKEN}-other`);
    await expect(dialPeer(other.url, await deriveTokenKey(TOKEN), 1, 2, P)).rejects.toBeInstanceOf(PeerLinkError);
    expect(logs.join('\n') + other.logs.join('\n')).toMatch(/refused a chain peer/);
  });

  it('refuses a chunk with NaN, closing the link with 4003 and blaming its sender', async () => {
    const { ep, url } = await endpoint();
    const dialled = await dialPeer(url, await deriveTokenKey(TOKEN), 6, 7, P);
    const accepted = await ep.linkFrom(6);
    const waiting = accepted.next(ChunkKind.SUM, 1);
    await dialled.send(ChunkKind.SUM, 1, 0, Float32Array.of(1, Number.NaN));
    const err = (await waiting.catch((e) => e)) as PeerLinkError;
    expect(err).toBeInstanceOf(PeerLinkError);
    expect(err.message).toMatch(/refused a chunk from worker 6: .*non-finite value \(NaN\) at float 1/);
    expect(err.blame).toBe(6);
    const far = (await dialled.next(ChunkKind.WEIGHTS, 1).catch((e) => e)) as PeerLinkError;
    expect(far.message).toMatch(/closed \(4003/);
    expect(far.blame).toBe(-1);
  });

  it('refuses a chunk of the wrong length (its header names more floats than it holds)', async () => {
    const { ep, url } = await endpoint();
    const key = await deriveTokenKey(TOKEN);
    const dialled = await dialPeer(url, key, 2, 3, P);
    const accepted = await ep.linkFrom(2);
    const waiting = accepted.next(ChunkKind.SUM, 1);
    // Reach into the socket: a well-signed frame cut short cannot be made through send().
    const ws = (dialled as unknown as { ws: { send(b: Uint8Array): void } }).ws;
    const frame = await signChunk(
      frameChunk({ kind: ChunkKind.SUM, seq: 1, round: 1, offset: 0, parameterCount: P }, Float32Array.of(1, 2)),
      (dialled as unknown as { sendKey: SessionKey }).sendKey,
    );
    ws.send(frame.subarray(0, frame.byteLength - 4));
    expect(((await waiting.catch((e) => e)) as Error).message).toMatch(/chunk frame: .* bytes, but 2 floats need/);
  });

  it('runs a two-member chain into a sink whose total is the left-to-right sum in shard order', async () => {
    const key = await deriveTokenKey(TOKEN);
    const sink = await endpoint(); // stands in for the coordinator's /peer
    const a = await endpoint();
    const b = await endpoint();
    const ma = new ChainMember(a.ep, key, sink.url);
    const mb = new ChainMember(b.ep, key, sink.url);
    open.push({ close: () => ma.close() }, { close: () => mb.close() });
    const g = [0.1, 0.2, 0.3].map((x) => Float32Array.from({ length: P }, (_, i) => x * (i + 1) + 1e-7 * i));
    const weights = Float32Array.from({ length: P }, (_, i) => i / 3);
    const wa = new Float32Array(P);
    const wb = new Float32Array(P);
    const role = { round: 5, chunkFloats: 4 };
    // Each member's gradients become final chunk by chunk (as a streamed shard's do); the member
    // must ask for every chunk's end, in order, and fold only then.
    const asked: number[][] = [[], []];
    const arrived: number[][] = [[], []];
    const work = (i: number, grads: Float32Array[], stats: { lossSum: number; count: number }[]) => ({
      start: () => ({
        readyUpTo: async (end: number) => {
          asked[i].push(end);
          await new Promise((r) => setImmediate(r));
          return grads;
        },
        result: Promise.resolve(stats),
        settled: Promise.resolve(),
      }),
      onWeights: (_from: number, to: number) => arrived[i].push(to),
    });
    const runA = ma.run(
      1,
      { ...role, prev: -1, nextId: 2, next: b.url },
      wa,
      work(
        0,
        [g[0], g[1]],
        [
          { lossSum: 1, count: 1 },
          { lossSum: 2, count: 1 },
        ],
      ),
    );
    const runB = mb.run(2, { ...role, prev: 1, nextId: -1 }, wb, work(1, [g[2]], [{ lossSum: 3, count: 1 }]));
    const tail: PeerLink = await sink.ep.linkFrom(2);
    for (let o = 0; o < P; o += 4) await tail.send(ChunkKind.WEIGHTS, 5, o, weights.subarray(o, Math.min(P, o + 4)));
    const total = new Float32Array(P);
    for (let o = 0; o < P; o += 4) total.set((await tail.next(ChunkKind.SUM, 5)).floats, o);
    expect((await runA).map((s) => s.lossSum)).toEqual([1, 2]);
    expect((await runB).map((s) => s.lossSum)).toEqual([3]);
    const expected = g[0].slice();
    for (const x of [g[1], g[2]]) for (let i = 0; i < P; i++) expected[i] += x[i];
    expect(Buffer.from(total.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const ends = Array.from({ length: Math.ceil(P / 4) }, (_, c) => Math.min(P, 4 * (c + 1)));
    expect(asked).toEqual([ends, ends]);
    // The head takes the weights chunk by chunk (its threads overlap); b, which relays them to the
    // head, starts computing only once it has relayed them all, and publishes them whole.
    expect(arrived).toEqual([ends, [P]]);
    expect(Array.from(wa)).toEqual(Array.from(weights));
    expect(Array.from(wb)).toEqual(Array.from(weights));
  });

  it('redials under its new id after it was taken back (a new session): its successor waits for that id', async () => {
    const key = await deriveTokenKey(TOKEN);
    const sink = await endpoint(); // the coordinator's /peer: the member is the whole chain
    const m = new ChainMember((await endpoint()).ep, key, sink.url);
    open.push({ close: () => m.close() });
    const grad = Float32Array.from({ length: P }, (_, i) => i);
    const round = async (selfId: number, r: number): Promise<void> => {
      const work = {
        start: () => ({
          readyUpTo: async () => [grad],
          result: Promise.resolve([{ lossSum: 1, count: 1 }]),
          settled: Promise.resolve(),
        }),
      };
      const run = m.run(selfId, { round: r, prev: -1, nextId: -1, chunkFloats: P }, new Float32Array(P), work);
      // A link kept from the old id would never come under the new one: a short wait fails the test.
      const tail = await sink.ep.linkFrom(selfId, 2000);
      await tail.send(ChunkKind.WEIGHTS, r, 0, grad);
      expect(Array.from((await tail.next(ChunkKind.SUM, r)).floats)).toEqual(Array.from(grad));
      await run;
    };
    await round(1, 1);
    await round(3, 2);
  });
});
