/**
 * The chain reduction as one gradient source (architecture §8). Its members are remote workers
 * that listen for peers, in shard order; each holds a contiguous run of the step's shards. One
 * compute() is one round: every member gets a step message naming its neighbours, the
 * coordinator streams the weights to the last member in chunks (they travel back along the
 * chain), and the running sum comes forward along the chain and reaches the coordinator from the
 * last member as the total: a `fold` of the shards, the star's bits. Per step the coordinator
 * sends and receives about 4P bytes each way, whatever the number of members.
 *
 * A round that fails (a member lost or late, a link or a chunk refused) rejects with a
 * recoverable error: the blamed member is dropped, the others' requests are abandoned, and the
 * scheduler recomputes the round's shards on the survivors within the same step (same bits).
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { ChunkKind, ProtocolErrorCode } from '@gradswarm/protocol';
import type { GradientRequest, GradientSource, ShardStats } from '@gradswarm/worker';
import { PeerLinkError, type PeerEndpoint, type PeerLink } from '@gradswarm/worker/node';
import { ChainRoundFailed, type RemoteWorker } from './remote-worker.js';

/**
 * Floats per chunk frame [16 Ki floats = 64 KiB]: what DESIGN §8 and the bench's chain model assume.
 * 256 KiB chunks quadrupled each hop's pipeline fill; measured on the emulated testbed (W = 2,
 * 200 Mbit/s, 0.2 core) the chain's link time fell from 289 to 226 ms per step with 64 KiB.
 */
export const DEFAULT_CHAIN_CHUNK_FLOATS = 1 << 14;

/** How long a failed round waits for the other members' reports before it decides whom to blame. */
const BLAME_GRACE_MS = 1000;

interface Blame {
  readonly id: number;
  /** Its peer endpoint could not be reached at all: it is moved to the star, not dropped. */
  readonly unreachable: boolean;
}

function blameOf(err: unknown): Blame {
  return err instanceof ChainRoundFailed || err instanceof PeerLinkError
    ? { id: err.blame, unreachable: err.unreachable }
    : { id: -1, unreachable: false };
}

export class ChainSource implements GradientSource {
  readonly folds = true;
  readonly label: string;
  readonly backend: string;
  readonly threads: number;
  /** Per member, after a round that succeeded: its samples and compute time. */
  lastMeasures: Array<{ readonly source: GradientSource; readonly samples: number; readonly computeMs: number }> = [];

  /**
   * @param members the chain in shard order
   * @param counts shards each member holds, in the order of the request's shards
   * @param round this attempt's id (new for every round, a redone step's too)
   */
  constructor(
    private readonly members: readonly RemoteWorker[],
    private readonly counts: readonly number[],
    private readonly peers: PeerEndpoint,
    private readonly round: number,
    private readonly chunkFloats: number,
    private readonly whole: boolean,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.label = `chain(${members.map((m) => m.id).join('→')})`;
    this.backend = members[0]?.backend ?? '';
    this.threads = members.reduce((n, m) => n + m.threads, 0);
  }

  async compute(request: GradientRequest): Promise<ShardStats[]> {
    if (request.mode !== 'fold' || request.grads.length !== 1)
      throw new RangeError(
        `a chain computes fold requests with one buffer, got ${request.mode} with ${request.grads.length}`,
      );
    const total = request.grads[0];
    const P = total.length;
    const last = this.members[this.members.length - 1];
    let at = 0;
    const parts = this.members.map((member, i) => {
      const shards = request.shards.slice(at, at + this.counts[i]);
      at += this.counts[i];
      const next = this.members[i + 1];
      return member.computeChain(request.task, shards, this.whole || shards.length > 1 ? 'each' : 'sum', {
        round: this.round,
        prev: i > 0 ? this.members[i - 1].id : -1,
        nextId: next ? next.id : -1,
        ...(next ? { next: next.peerUrl! } : {}),
        ...(next?.peerFingerprint ? { nextFingerprint: next.peerFingerprint } : {}),
        chunkFloats: this.chunkFloats,
      });
    });
    let streaming: PeerLink | null = null;
    const stream = async (): Promise<void> => {
      const link = await this.peers.linkFrom(last.id);
      streaming = link;
      const sent: Promise<void>[] = [];
      for (let offset = 0; offset < P; offset += this.chunkFloats) {
        const p = link.send(
          ChunkKind.WEIGHTS,
          this.round,
          offset,
          request.task.weights.subarray(offset, Math.min(P, offset + this.chunkFloats)),
        );
        p.catch(() => undefined);
        sent.push(p);
      }
      for (let offset = 0; offset < P; offset += this.chunkFloats) {
        const frame = await link.next(ChunkKind.SUM, this.round);
        const count = Math.min(this.chunkFloats, P - offset);
        if (frame.offset !== offset || frame.count !== count) {
          const why = `a chunk of ${frame.count} floats at ${frame.offset}, expected ${count} at ${offset}`;
          link.close(4002, why);
          throw new PeerLinkError(`refused ${why} from worker ${last.id}`, last.id);
        }
        total.set(frame.floats, offset);
      }
      await Promise.all(sent);
    };
    const streamed = stream();
    streamed.catch(() => undefined);
    for (const p of parts) p.catch(() => undefined);
    try {
      const [, ...stats] = await Promise.all([streamed, ...parts]);
      // The members compute at once: the round's compute time is the slowest member's, reported once.
      const computeMs = Math.max(0, ...stats.map((m) => m[0]?.computeMs ?? 0));
      this.lastMeasures = this.members.map((source, i) => ({
        source,
        samples: stats[i].reduce((n, s) => n + s.count, 0),
        computeMs: stats[i][0]?.computeMs ?? 0,
      }));
      return stats
        .flat()
        .map(({ lossSum, count }, k) => (k === 0 ? { lossSum, count, computeMs } : { lossSum, count }));
    } catch (err) {
      // The members whose links broke report within moments; the one they blame is the culprit
      // (a member that was refused blames nobody, its neighbour names it).
      // A member lost or late (SIGSTOP: silent, then past its deadline) was dropped already and is
      // the culprit: the others are let go at once, before their own step deadlines drop them too
      // while they wait on their links to it.
      const memberLost = !(err instanceof ChainRoundFailed || err instanceof PeerLinkError);
      let grace: NodeJS.Timeout | undefined;
      const outcomes = memberLost
        ? null
        : await Promise.race([
            Promise.allSettled([streamed, ...parts]),
            new Promise<null>((resolve) => (grace = setTimeout(() => resolve(null), BLAME_GRACE_MS))),
          ]);
      clearTimeout(grace);
      const blamed = (outcomes ?? [])
        .map((o) => (o.status === 'rejected' ? blameOf(o.reason) : null))
        .find((b) => b !== null && b.id >= 0);
      const failure = this.failRound(err, blamed ?? blameOf(err));
      // A last member that stopped (SIGSTOP) never sends the rest of the sum: the wait for it ends
      // here, not never (the link stays for the next round if its member is still in the chain).
      (streaming as PeerLink | null)?.abort(this.round, failure);
      throw failure;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Drops whom the failure blames (or, if its endpoint could not be reached at all, serves it by
   * the star from now on: a worker behind NAT or a firewall that did not say --no-listen),
   * abandons everyone else's request, and says why.
   */
  private failRound(err: unknown, blame: Blame): GradswarmError {
    const culprit = this.members.find((m) => m.id === blame.id);
    const reason = (err as Error)?.message ?? String(err);
    if (culprit && blame.unreachable) {
      culprit.peerUrl = null;
      culprit.peerFingerprint = null;
      this.log(`${culprit.label} cannot be reached by its chain peers (${reason}): the star serves it from now on`);
    } else if (culprit) culprit.drop(ProtocolErrorCode.REJECTED, `chain round ${this.round}: ${reason}`);
    const failure = new GradswarmError(ErrorCode.WORKER_LOST, `${this.label} round ${this.round} failed: ${reason}`);
    for (const m of this.members) m.abandon(failure);
    return failure;
  }
}
