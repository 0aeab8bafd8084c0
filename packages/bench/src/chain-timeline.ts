/**
 * A structural model of one chain step (DESIGN §8), built from quantities measured apart from the
 * step times it predicts: the compute profile of one worker's shard (chain-probes.ts, one thread
 * on a full core), the CPU of one chunk's hop through the real frame path (sign, WebSocket,
 * verify, finiteness, copy; chain-probes.ts), the link's rate and tbf burst (the --netem setting),
 * the wire's TCP/IP overhead (MTU 1500), and the update time of the W = 1 run. Nothing is fitted.
 *
 * It follows each chunk through the chain instead of adding up terms:
 *   weights: coordinator → w_W → … → w_1; each hop a token bucket at the link's rate (the sender's
 *     shaped link end), one-way latency δ, half a hop's CPU at each end; chunk i of W_1 lets the
 *     first layer's forward run on the unit blocks whose rows it completes (the overlap);
 *   compute: f_j = max(f_{j−1}, rows of block j in) + F1_j; then the layers above (after the last
 *     chunk is in); then ∂W_1 in the same unit blocks, each finished block releasing its chunks;
 *   sums: w_1 → w_2 → … → coordinator; a chunk leaves worker k once its predecessor's chunk is in
 *     and its own gradient's chunk is final, after the add;
 *   CPU: a worker's frame handling shares its one core (its quota) with its compute, so compute
 *     runs slower by the share of the core the frames take while they stream: (CPU per chunk) /
 *     (link time per chunk), h/2 at each end of a hop; the sums' frames are handled one at a time
 *     on the main thread, with half the core while the compute thread runs (so a costly frame path
 *     throttles the stream); and when the machine has fewer cores than the quotas add up to,
 *     every process gets cores / Σquota of its quota.
 * step = the last sum chunk at the coordinator + update. Undilated throughout (emulated ms).
 */
import type { ChainTimeline, ComputeProfile } from './chain-structure-types.js';

export type { ChainTimeline, ComputeProfile } from './chain-structure-types.js';

export interface ChainTimelineInputs {
  readonly workers: number;
  readonly parameters: number;
  readonly chunkFloats: number;
  /** Per worker, at the row's samples per worker. */
  readonly profile: ComputeProfile;
  /** Payload bytes per ms of one link end (undilated); Infinity: loopback. */
  readonly linkBytesPerMs: number;
  /** Wire bytes per payload byte (TCP/IP/Ethernet headers). */
  readonly wireOverhead: number;
  /** Token-bucket burst of a shaped link end, bytes (0: a plain link). */
  readonly burstBytes: number;
  /** CPU of one chunk's hop, both ends together, on one core. */
  readonly hopCpuMs: number;
  /** CPU of adding one chunk into the running sum. */
  readonly addCpuMs: number;
  readonly hopLatencyMs: number;
  readonly updateMs: number;
  /** cores / Σ quotas when below 1 (the processes of this machine compete); 1 otherwise. */
  readonly cpuShare: number;
}

/** Bytes of a chunk frame besides its floats: a 32-byte header and a 16-byte GMAC. */
export const CHUNK_FRAME_EXTRA_BYTES = 48;
/** MTU 1500 with TCP timestamps: 1448 payload bytes in 1514 bytes the qdisc counts. */
export const TCP_WIRE_OVERHEAD = 1514 / 1448;

/** A token bucket at `bytesPerMs` holding up to `burstBytes`, full at the start; whole chunks. */
export class TokenBucket {
  private tokens: number;
  private at = 0;
  constructor(
    private readonly bytesPerMs: number,
    private readonly burstBytes: number,
  ) {
    this.tokens = burstBytes;
  }

  /** When `bytes` ready at `readyMs` (not before the previous send) have passed. */
  send(readyMs: number, bytes: number): number {
    if (!Number.isFinite(this.bytesPerMs)) return readyMs;
    const t = Math.max(readyMs, this.at);
    const tokens = Math.min(this.burstBytes, this.tokens + (t - this.at) * this.bytesPerMs);
    // A chunk larger than the bucket drains it and waits for the rest at the rate.
    const wait = Math.max(0, (bytes - tokens) / this.bytesPerMs);
    this.at = t + wait;
    this.tokens = Math.max(0, tokens - bytes + wait * this.bytesPerMs);
    return this.at;
  }
}

/** Index of the chunk holding float `end − 1`. */
const chunkOf = (end: number, chunkFloats: number): number => Math.ceil(end / chunkFloats) - 1;

/** The step as the model plays it out. */
export function chainTimeline(q: ChainTimelineInputs): ChainTimeline {
  const { workers: W, parameters: P, chunkFloats: cf, profile } = q;
  if (!(W >= 1) || !(P >= 1) || !(cf >= 1)) throw new RangeError('workers, parameters and chunkFloats must be ≥ 1');
  const n = Math.ceil(P / cf);
  const wire = Array.from(
    { length: n },
    (_, i) => (4 * Math.min(cf, P - i * cf) + CHUNK_FRAME_EXTRA_BYTES) * q.wireOverhead,
  );
  const linkChunkMs = Number.isFinite(q.linkBytesPerMs) ? wire[0] / q.linkBytesPerMs : 0;
  const half = q.hopCpuMs / 2;
  const bucket = (): TokenBucket => new TokenBucket(q.linkBytesPerMs, q.burstBytes);
  // Weights: worker k (1 = head) is W − k + 1 hops from the coordinator.
  const egress = Array.from({ length: W + 1 }, bucket); // [0]: the coordinator's, [k]: worker k's
  const arrive: number[][] = new Array(W + 1);
  let from = Array.from({ length: n }, (_, i) => (i + 1) * half); // signed one after the other
  for (let k = W; k >= 1; k--) {
    const out = egress[k === W ? 0 : k + 1];
    arrive[k] = from.map((ready, i) => out.send(ready, wire[i]) + q.hopLatencyMs + half);
    // Forwarded once verified, signed again, one chunk after the other on the main thread (at the
    // full core: in this phase the compute thread mostly waits for rows of W_1).
    let free = 0;
    from = arrive[k].map((t) => (free = Math.max(t, free) + (2 * half) / q.cpuShare));
  }
  // Compute: slower by the share of the core the frames take while they stream.
  const ready: number[][] = new Array(W + 1);
  const computeEnd: number[] = new Array(W + 1);
  const blocks = profile.forwardBlocksMs.length;
  for (let k = 1; k <= W; k++) {
    const middle = k > 1;
    // The share of the core a stream's frames take: CPU per chunk over the time between chunks
    // (the link's, or the CPU's own when it is the slower); at most half, as CFS splits the core
    // between the two busy threads.
    const share = (cpuMs: number): number => (cpuMs > 0 ? cpuMs / Math.max(linkChunkMs, 2 * cpuMs) : 0);
    const weightsShare = share(middle ? 2 * half : half);
    const sumShare = share(middle ? 2 * half + q.addCpuMs : half);
    const slow = (ms: number, frames: number): number => ms / (q.cpuShare * (1 - frames));
    let t = 0;
    for (let j = 0; j < blocks; j++) {
      const start = Math.max(t, arrive[k][Math.min(n - 1, chunkOf(profile.blockEnds[j], cf))]);
      t = start + slow(profile.forwardBlocksMs[j], start < arrive[k][n - 1] ? weightsShare : 0);
    }
    t = Math.max(t, arrive[k][n - 1]) + slow(profile.upperMs, 0);
    const blockDone: number[] = [];
    for (let j = 0; j < blocks; j++) {
      t += slow(profile.backwardBlocksMs[j], sumShare);
      blockDone.push(t);
    }
    computeEnd[k] = t;
    // Chunk i is final once every block its floats touch is: the block holding its last float.
    ready[k] = Array.from({ length: n }, (_, i) => {
      const last = Math.min(P, (i + 1) * cf);
      const j = profile.blockEnds.findIndex((end) => end >= last);
      return j < 0 ? blockDone[blocks - 1] : blockDone[j];
    });
  }
  // Sums: head → … → coordinator. A worker's frames are handled one after the other on its main
  // thread, which gets half of its core while the compute thread still runs (CFS shares the quota).
  let incoming: number[] | null = null;
  for (let k = 1; k <= W; k++) {
    const out = egress[k];
    let free = 0;
    const onCpu = (at: number, ms: number): number => {
      const start = Math.max(at, free);
      free = start + ms / (q.cpuShare * (start < computeEnd[k] ? 0.5 : 1));
      return free;
    };
    const before: number[] | null = incoming;
    incoming = ready[k].map((own, i): number => {
      // The head signs its own chunk; the others verify, add and sign.
      const sent: number = before === null ? onCpu(own, half) : onCpu(Math.max(own, before[i]), 2 * half + q.addCpuMs);
      return out.send(sent, wire[i]) + q.hopLatencyMs + half;
    });
  }
  const sumInMs = incoming![n - 1];
  return {
    headWeightsInMs: arrive[1][n - 1],
    headComputeEndMs: computeEnd[1],
    sumInMs,
    updateMs: q.updateMs,
    totalMs: sumInMs + q.updateMs,
  };
}

/** The compute profile at another number of samples (every phase is linear in them). */
export function scaleProfile(p: ComputeProfile, samples: number): ComputeProfile {
  const f = p.samples > 0 ? samples / p.samples : 0;
  return {
    ...p,
    samples,
    forwardBlocksMs: p.forwardBlocksMs.map((x) => x * f),
    upperMs: p.upperMs * f,
    backwardBlocksMs: p.backwardBlocksMs.map((x) => x * f),
  };
}
