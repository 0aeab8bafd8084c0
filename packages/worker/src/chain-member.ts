/**
 * A worker's part in one chain round (architecture §8). The weights of the step arrive from the
 * successor chunk by chunk and are passed on to the predecessor as they come; then the worker
 * computes its shards and, chunk by chunk, adds them to the running sum from its predecessor
 * (the head starts it) and sends the result on to its successor:
 *   running[c] = prev[c] + g_a[c] + g_{a+1}[c] + …   (float adds, one shard after the other)
 * so the total that reaches the coordinator is the left-to-right sum in shard order, the star's
 * bits whatever the number of workers. Chunks pipeline: every link of the chain is busy at once.
 */
import type { GradientStats } from '@gradswarm/core';
import { ChunkKind, type ChunkFrame, type HmacKey, type WireChainRole } from '@gradswarm/protocol';
import type { ChainCompute } from './chain-compute.js';
import type { PeerEndpoint } from './peer-endpoint.js';
import { dialPeer, PeerLinkError, type PeerLink, type PeerTraffic } from './peer-link.js';
import type { PeerTrust } from './peer-tls.js';

/** What a round computes (chain-compute.ts), started when the round begins. */
export interface ChainRoundWork {
  /** Starts the computation; the weights keep arriving into the round's buffer meanwhile. */
  readonly start: () => ChainCompute;
  /** weights[from, to) are in (each chunk as it comes, in layout order). */
  readonly onWeights?: (from: number, to: number) => void;
}

export class ChainMember {
  /** Links this worker dialled, by successor URL (kept while the chain keeps its order). */
  private readonly dialled = new Map<string, PeerLink>();
  private current: { round: number; links: PeerLink[]; abortSetup: (err: Error) => void } | null = null;
  /**
   * The worker id the dialled links were opened as. A worker dropped and taken back (SIGSTOP past
   * the deadline, then SIGCONT) has a new id: a link its successor accepted under the old one
   * would be waited for in vain (the successor waits for a link from the new id), so it is redialled.
   */
  private dialledAs = -1;
  /** Bytes of chunk frames over the links this worker dialled (its endpoint counts the others). */
  readonly traffic: PeerTraffic = { sentBytes: 0, receivedBytes: 0 };

  /**
   * @param coordinatorPeerUrl where the last worker of a chain sends the total (the coordinator's /peer)
   * @param coordinatorTrust under TLS: how the coordinator's certificate is trusted (as on the control link)
   */
  constructor(
    private readonly endpoint: PeerEndpoint,
    private readonly tokenKey: HmacKey,
    private readonly coordinatorPeerUrl: string,
    private readonly coordinatorTrust?: PeerTrust,
  ) {}

  /**
   * Runs one round: weights in (into `weights`) while `work` computes, sums out as blocks of
   * the gradients are final. Once links are up the computation is started; when this throws
   * after that, the caller must still end and await it (`started` tells).
   * @throws PeerLinkError naming whom it blames when a link or a chunk fails
   */
  async run(
    selfId: number,
    role: WireChainRole,
    weights: Float32Array,
    work: ChainRoundWork,
    started: (compute: ChainCompute) => void = () => undefined,
  ): Promise<readonly GradientStats[]> {
    const P = weights.length;
    // An abort while the links are still being set up ends the wait too.
    let abortSetup: (err: Error) => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => (abortSetup = reject));
    aborted.catch(() => undefined);
    // A round of an older session still in flight is over: this one replaces it.
    this.abort('a new chain round started');
    if (selfId !== this.dialledAs) this.reset();
    this.dialledAs = selfId;
    const mine = { round: role.round, links: [] as PeerLink[], abortSetup };
    this.current = mine;
    const [next, prev] = await Promise.race([
      Promise.all([
        role.next
          ? this.linkTo(
              role.next,
              selfId,
              role.nextId,
              P,
              role.nextFingerprint ? { pin: role.nextFingerprint } : undefined,
            )
          : this.linkTo(this.coordinatorPeerUrl, selfId, role.nextId, P, this.coordinatorTrust),
        role.prev >= 0 ? this.endpoint.linkFrom(role.prev) : Promise.resolve(null),
      ]),
      aborted,
    ]).catch((err) => {
      if (this.current === mine) this.current = null;
      throw err;
    });
    mine.links = prev ? [next, prev] : [next];
    try {
      const begin = (): ChainCompute => {
        const c = work.start();
        started(c);
        return c;
      };
      // A worker with a predecessor relays the weights before it computes: its threads would take
      // the CPU its relay needs (on a small machine a whole hop's worth per chunk), and every
      // worker nearer the head waits for that relay, while this worker's own sum is not due
      // until the head's has come back to it. The head, which relays nothing, overlaps.
      let compute: ChainCompute | null = prev ? null : begin();
      const forwarded: Promise<void>[] = [];
      for (let offset = 0; offset < P; offset += role.chunkFloats) {
        const frame = expect(await next.next(ChunkKind.WEIGHTS, role.round), offset, role.chunkFloats, P, next);
        // Forwarded first, the frame itself with only its sequence number and MAC rewritten.
        if (prev) forwarded.push(quiet(prev.forward(frame)));
        weights.set(frame.floats, offset);
        if (compute) work.onWeights?.(offset, offset + frame.count);
      }
      if (!compute) {
        compute = begin();
        work.onWeights?.(0, P);
      }
      const sent: Promise<void>[] = [];
      for (let offset = 0; offset < P; offset += role.chunkFloats) {
        const n = Math.min(role.chunkFloats, P - offset);
        // This chunk of every gradient is final (the streamed shard's block of ∂W_1 is done).
        const grads = await compute.readyUpTo(offset + n);
        const base = prev
          ? expect(await prev.next(ChunkKind.SUM, role.round), offset, role.chunkFloats, P, prev).floats
          : grads[0].subarray(offset, offset + n);
        const first = prev ? 0 : 1;
        // Added straight into the frame that leaves, in shard order: out = ((base + g_a) + g_a+1) + …
        sent.push(
          quiet(next.sendFilled(ChunkKind.SUM, role.round, offset, n, (out) => fold(out, base, grads, first, offset))),
        );
      }
      // A peer that stopped reading (SIGSTOP) never completes a send: an abort must end this wait too.
      const [stats] = await Promise.race([Promise.all([compute.result, ...forwarded, ...sent]), aborted]);
      return stats;
    } finally {
      // Only its own: a round of an older session ending late must not unhook the current one.
      if (this.current === mine) this.current = null;
    }
  }

  /** Gives up the round in flight (the coordinator asked for something else): its waits end. */
  abort(reason: string): void {
    const c = this.current;
    if (!c) return;
    const err = new PeerLinkError(reason, -1);
    c.abortSetup(err);
    for (const link of c.links) link.abort(c.round, err);
  }

  /** A new session (a new welcome, a new worker id): the links of the old one are closed, not reused. */
  reset(): void {
    for (const link of this.dialled.values()) link.close(1000, 'a new session');
    this.dialled.clear();
    this.dialledAs = -1;
  }

  close(): void {
    for (const link of this.dialled.values()) link.close(1001, 'worker stopping');
    this.dialled.clear();
  }

  private async linkTo(url: string, selfId: number, remoteId: number, P: number, trust?: PeerTrust): Promise<PeerLink> {
    // A successor restarted on the same address has a new certificate: the pin is part of the key.
    const key = trust?.pin ? `${url} ${trust.pin}` : url;
    const have = this.dialled.get(key);
    if (have?.open && have.remoteId === remoteId) return have;
    have?.close(1000, 'replaced');
    const link = await dialPeer(url, this.tokenKey, selfId, remoteId, P, this.traffic, trust);
    this.dialled.set(key, link);
    return link;
  }
}

/**
 * out = base + grads[first][offset…] + grads[first + 1][offset…] + …, element by element, each add
 * rounded to float32 as `out[i] += g[i]` on a Float32Array does (the same bits as before, whether
 * there is one gradient to add or several).
 */
function fold(
  out: Float32Array,
  base: Float32Array,
  grads: readonly Float32Array[],
  first: number,
  offset: number,
): void {
  const n = out.length;
  if (first >= grads.length) {
    out.set(base);
    return;
  }
  const g0 = grads[first];
  for (let i = 0; i < n; i++) out[i] = base[i] + g0[offset + i];
  for (let j = first + 1; j < grads.length; j++) {
    const g = grads[j];
    for (let i = 0; i < n; i++) out[i] += g[offset + i];
  }
}

/** A send still in flight when the round fails must not end the process as an unhandled rejection; it is awaited later. */
function quiet(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

/** The chunk must be the next one in order: [offset, offset + min(chunk, P − offset)). */
function expect(frame: ChunkFrame, offset: number, chunkFloats: number, P: number, from: PeerLink): ChunkFrame {
  const count = Math.min(chunkFloats, P - offset);
  if (frame.offset !== offset || frame.count !== count) {
    const why = `a chunk of ${frame.count} floats at ${frame.offset}, expected ${count} at ${offset}`;
    from.close(4002, why);
    throw new PeerLinkError(
      `refused ${why} from ${from.remoteId < 0 ? 'the coordinator' : `worker ${from.remoteId}`}`,
      from.remoteId,
    );
  }
  return frame;
}
