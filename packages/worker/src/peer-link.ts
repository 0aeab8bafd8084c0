/**
 * One authenticated chain peer link (architecture §8): a WebSocket between two neighbours of the
 * chain (or the last worker and the coordinator) carrying signed chunk frames both ways, weights
 * backward and partial sums forward. Frames are sent in order (the sequence number is in the MAC)
 * and read in order; a reader asks for the next chunk of a kind in a round and gets it as soon as
 * it is in. Chunks of older rounds (a redone step's) are dropped; later rounds' wait their turn.
 *
 * A failure ends every wait with a PeerLinkError saying whom it blames: the far end for a bad
 * frame it sent or a link that died under it (no close frame: a killed process, a cut cable);
 * nobody (-1) when the far end closed the link on purpose, which it does when it refused us.
 */
import {
  CHUNK_HEADER_BYTES,
  CHUNK_MAC_BYTES,
  chunkFrameBytes,
  decodeChunk,
  restampChunk,
  signChunk,
  writeChunkHeader,
  isChunkFrame,
  PEER_HANDSHAKE_MAX_BYTES,
  PeerDialerHandshake,
  PeerListenerHandshake,
  ProtocolError,
  PROTOCOL_ERRORS,
  type ChunkFrame,
  type ChunkKindValue,
  type HmacKey,
  type SessionKey,
  type PeerLinkKeys,
} from '@gradswarm/protocol';
import { peerText } from '@gradswarm/core';
import WebSocket from 'ws';
import { setFrameLimit } from './frame-limit.js';
import { dialTlsOptions, openPinned, type PeerTrust } from './peer-tls.js';

/** Largest chunk a link accepts, in floats (4 MiB of floats). */
export const MAX_CHUNK_FLOATS = 1 << 20;
/** Bytes of the largest chunk frame: header, floats, MAC. */
export const MAX_CHUNK_FRAME_BYTES = CHUNK_HEADER_BYTES + 4 * MAX_CHUNK_FLOATS + CHUNK_MAC_BYTES;
/** Free frames a link keeps per chunk size: more than a step's chunks in flight are not expected. */
const MAX_POOLED_FRAMES = 64;
/** A dial or a handshake that takes longer fails. */
export const PEER_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Bytes of chunk frames, summed over links (a worker's, an endpoint's). */
export interface PeerTraffic {
  sentBytes: number;
  receivedBytes: number;
}

export class PeerLinkError extends Error {
  /**
   * @param blame worker id held responsible (-1: none)
   * @param unreachable the blamed peer's endpoint could not be reached at all (no connection was made)
   */
  constructor(
    message: string,
    readonly blame: number,
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/** Errors of a dial that never reached the far end (as opposed to one it refused or broke off). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

function isUnreachable(err: unknown, opened: boolean): boolean {
  if (opened) return false;
  const code = (err as NodeJS.ErrnoException)?.code;
  return (code !== undefined && UNREACHABLE_CODES.has(code)) || /Opening handshake has timed out/.test(String(err));
}

interface Waiter {
  readonly kind: ChunkKindValue;
  readonly round: number;
  readonly resolve: (frame: ChunkFrame) => void;
  readonly reject: (err: unknown) => void;
}

export class PeerLink {
  private sendSeq = 0;
  private recvSeq = 0;
  private sending: Promise<void> = Promise.resolve();
  private reading: Promise<void> = Promise.resolve();
  private readonly inbox: ChunkFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: PeerLinkError | null = null;
  /** Free frames by float count (a step's chunks are all of one size but the last). */
  private readonly frames = new Map<number, Uint8Array[]>();
  /** Bytes of chunk frames sent and received (for the counted-bytes figures). */
  sentBytes = 0;
  receivedBytes = 0;

  /**
   * @param remoteId the far end's worker id (-1: the coordinator)
   * @param parameterCount P: every chunk must fit it
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly sendKey: SessionKey,
    private readonly recvKey: SessionKey,
    readonly remoteId: number,
    private readonly parameterCount: number,
    private readonly describe: string,
    private readonly counter: PeerTraffic = { sentBytes: 0, receivedBytes: 0 },
  ) {
    ws.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      this.receivedBytes += bytes.byteLength;
      this.counter.receivedBytes += bytes.byteLength;
      this.reading = this.reading.then(() => this.read(bytes));
    });
    ws.on('close', (code, reason) => {
      const text = reason.length > 0 ? ` ${peerText(reason.toString())}` : '';
      // 1006: no close frame, the far end died or the path broke; a coded close is the far end's decision.
      const blame = code === 1006 ? remoteId : -1;
      this.fail(new PeerLinkError(`the chain link to ${describe} closed (${code}${text})`, blame));
    });
    ws.on('error', (err) =>
      this.fail(new PeerLinkError(`the chain link to ${describe} failed: ${err.message}`, remoteId)),
    );
  }

  /** Frames that arrived during the handshake, before this link listened. */
  take(frames: readonly Uint8Array[]): void {
    for (const bytes of frames) {
      this.receivedBytes += bytes.byteLength;
      this.counter.receivedBytes += bytes.byteLength;
      this.reading = this.reading.then(() => this.read(bytes));
    }
  }

  get open(): boolean {
    return this.failure === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends floats as one signed chunk frame (frames go out in call order; `floats` is copied at once). */
  send(kind: ChunkKindValue, round: number, offset: number, floats: Float32Array): Promise<void> {
    return this.sendFilled(kind, round, offset, floats.length, (out) => out.set(floats));
  }

  /**
   * Sends a chunk of `count` floats that `fill` writes straight into the frame, at once (a
   * partial sum is added into the frame it leaves in: no copy). Frames come from a pool of this
   * link and go back to it once the socket has written them.
   */
  sendFilled(
    kind: ChunkKindValue,
    round: number,
    offset: number,
    count: number,
    fill: (floats: Float32Array) => void,
  ): Promise<void> {
    const frame = this.frames.get(count)?.pop() ?? new Uint8Array(chunkFrameBytes(count));
    const seq = ++this.sendSeq;
    fill(writeChunkHeader(frame, { kind, seq, round, offset, count, parameterCount: this.parameterCount }));
    return this.queue(frame, () => {
      const free = this.frames.get(count) ?? [];
      if (free.length < MAX_POOLED_FRAMES) free.push(frame);
      this.frames.set(count, free);
    });
  }

  /**
   * Passes a chunk received on another link on as it is (weights towards the head): only its
   * sequence number and MAC are rewritten, in place. The frame was checked when it was received.
   */
  forward(frame: ChunkFrame): Promise<void> {
    return this.queue(restampChunk(frame.bytes, ++this.sendSeq), () => undefined);
  }

  /** Signs and writes frames in call order; `written` runs once the socket no longer needs the bytes. */
  private queue(frame: Uint8Array, written: () => void): Promise<void> {
    const sent = this.sending.then(async () => {
      if (this.failure) throw this.failure;
      await signChunk(frame, this.sendKey);
      this.sentBytes += frame.byteLength;
      this.counter.sentBytes += frame.byteLength;
      await new Promise<void>((resolve, reject) =>
        this.ws.send(frame, (err) => {
          if (err) return reject(new PeerLinkError(`sending to ${this.describe}: ${err.message}`, this.remoteId));
          written();
          resolve();
        }),
      );
    });
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  /** The next chunk of `kind` in `round`, in the order it was sent. */
  next(kind: ChunkKindValue, round: number): Promise<ChunkFrame> {
    const i = this.takeIndex(kind, round);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ kind, round, resolve, reject }));
  }

  /** Ends every wait of `round` and older with `err` (a round given up by this worker). */
  abort(round: number, err: Error): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].round <= round) this.waiters.splice(i, 1)[0].reject(err);
    }
  }

  /** Closes the link with a protocol error's close code and a reason, failing every wait. */
  close(code: number, reason: string): void {
    this.fail(new PeerLinkError(reason, -1));
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
  }

  private takeIndex(kind: ChunkKindValue, round: number): number {
    // Stale rounds' chunks are of no use to anyone any more.
    for (let i = this.inbox.length - 1; i >= 0; i--) if (this.inbox[i].round < round) this.inbox.splice(i, 1);
    return this.inbox.findIndex((f) => f.kind === kind && f.round === round);
  }

  private async read(bytes: Uint8Array): Promise<void> {
    if (this.failure) return;
    let frame: ChunkFrame;
    try {
      if (!isChunkFrame(bytes))
        throw new ProtocolError(
          'GS_ERR_PROTOCOL_INVALID',
          'a chain link carries chunk frames only after its handshake',
        );
      frame = await decodeChunk(bytes, this.recvKey, ++this.recvSeq, this.parameterCount);
    } catch (err) {
      const e = err as ProtocolError;
      const closeCode = PROTOCOL_ERRORS[e.code as keyof typeof PROTOCOL_ERRORS]?.closeCode ?? 1008;
      const reason = `refused a chunk from ${this.describe}: ${e.message}`;
      this.fail(new PeerLinkError(reason, this.remoteId));
      try {
        this.ws.close(closeCode, e.message.slice(0, 120));
      } catch {
        this.ws.terminate();
      }
      return;
    }
    const w = this.waiters.findIndex((x) => x.kind === frame.kind && x.round === frame.round);
    if (w >= 0) this.waiters.splice(w, 1)[0].resolve(frame);
    else this.inbox.push(frame);
  }

  private fail(err: PeerLinkError): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.inbox.length = 0;
  }
}

/**
 * Frames of a connection in arrival order, from its first: the handshake reads them one by one,
 * then the link takes the rest (a chunk may follow the auth frame at once, before any await ends).
 */
class FrameQueue {
  readonly frames: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  private closed: string | null = null;
  private readonly onMessage = (data: Buffer): void => {
    this.frames.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.wake?.();
  };
  private readonly onClose = (code: number, reason: Buffer): void => {
    this.closed = `the link closed (${code}${reason.length ? ` ${peerText(reason.toString())}` : ''})`;
    this.wake?.();
  };

  constructor(private readonly ws: WebSocket) {
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
  }

  async next(what: string): Promise<Uint8Array> {
    const deadline = Date.now() + PEER_HANDSHAKE_TIMEOUT_MS;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error(`${this.closed} before its ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${PEER_HANDSHAKE_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.frames.shift()!;
  }

  /** Stops queueing; returns what came after the handshake. */
  release(): Uint8Array[] {
    this.ws.off('message', this.onMessage);
    this.ws.off('close', this.onClose);
    return this.frames.splice(0);
  }
}

/**
 * Dials a chain successor's peer endpoint and authenticates.
 * @param from this worker's id (as the coordinator numbered it)
 * @param remoteId the successor's id (-1: the coordinator)
 * @param trust for a wss:// URL: the certificate it must have (pinned) or the CA it must chain to
 * @throws PeerLinkError (blaming the successor) if it cannot be reached, shows another certificate,
 *   or does not hold the token
 */
export async function dialPeer(
  url: string,
  tokenKey: HmacKey,
  from: number,
  remoteId: number,
  parameterCount: number,
  counter?: PeerTraffic,
  trust?: PeerTrust,
): Promise<PeerLink> {
  const describe = remoteId < 0 ? 'the coordinator' : `worker ${remoteId}`;
  const ws = new WebSocket(url, {
    maxPayload: PEER_HANDSHAKE_MAX_BYTES,
    perMessageDeflate: false,
    handshakeTimeout: PEER_HANDSHAKE_TIMEOUT_MS,
    // No masking (an all-zero key: ws then neither copies nor XORs a frame it sends). Masking
    // protects proxies from script-made frames; a peer link is two gradswarm processes whose
    // every chunk carries a GMAC, and masking cost a copy of each partial sum at every hop.
    generateMask: (mask: Buffer) => void mask.fill(0),
    ...(url.startsWith('wss:') ? dialTlsOptions(trust) : {}),
  });
  ws.binaryType = 'nodebuffer';
  let opened = false;
  try {
    await openPinned(ws, url.startsWith('wss:') ? trust : undefined);
    opened = true;
    const handshake = new PeerDialerHandshake(tokenKey, from);
    const queue = new FrameQueue(ws);
    ws.send(handshake.hello());
    const { auth, keys } = await handshake.challenge(await queue.next('challenge'));
    setFrameLimit(ws, MAX_CHUNK_FRAME_BYTES);
    ws.send(auth);
    const link = new PeerLink(
      ws,
      keys.dialerToListener,
      keys.listenerToDialer,
      remoteId,
      parameterCount,
      describe,
      counter,
    );
    link.take(queue.release());
    return link;
  } catch (err) {
    ws.terminate();
    throw new PeerLinkError(
      `cannot open the chain link to ${describe} at ${url}: ${(err as Error).message}`,
      remoteId,
      isUnreachable(err, opened),
    );
  }
}

/**
 * Authenticates a connection a chain predecessor opened to us (this worker's peer endpoint, or
 * the coordinator's /peer path). A failed handshake closes the connection with the error's code.
 * @returns the link and the dialer's worker id
 */
export async function acceptPeer(
  ws: WebSocket,
  tokenKey: HmacKey,
  parameterCount: number,
  counter?: PeerTraffic,
): Promise<PeerLink> {
  ws.binaryType = 'nodebuffer';
  const handshake = new PeerListenerHandshake(tokenKey);
  const queue = new FrameQueue(ws);
  try {
    ws.send(await handshake.hello(await queue.next('hello')));
    // The dialer's partial sums may follow its auth frame at once, so the chunk-sized limit must
    // be in place before that frame is checked (the hello, at least, was well formed).
    setFrameLimit(ws, MAX_CHUNK_FRAME_BYTES);
    const keys: PeerLinkKeys = await handshake.auth(await queue.next('auth'));
    const describe = `worker ${handshake.from}`;
    const link = new PeerLink(
      ws,
      keys.listenerToDialer,
      keys.dialerToListener,
      handshake.from,
      parameterCount,
      describe,
      counter,
    );
    link.take(queue.release());
    return link;
  } catch (err) {
    const e = err as ProtocolError;
    const closeCode = PROTOCOL_ERRORS[e.code as keyof typeof PROTOCOL_ERRORS]?.closeCode ?? 1008;
    try {
      ws.close(closeCode, e.message.slice(0, 120));
    } catch {
      ws.terminate();
    }
    throw err;
  }
}
