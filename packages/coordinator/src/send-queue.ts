/**
 * Backpressure on one WebSocket (issue 17 item 2). ws.send never refuses: a peer that stops
 * reading makes every later send pile up in this process (748 MB of data-set chunks were queued
 * for one such client). Here a frame goes to ws only while `bufferedAmount` is under a bound;
 * the rest waits in a queue that is itself bounded, and a peer whose socket takes no bytes for
 * a deadline while frames wait is given up on. An honest worker asks for one chunk at a time and
 * is sent one step at a time, so it never comes near either bound.
 */
import type { WebSocket } from 'ws';

export interface SendQueueOptions {
  /** Frames are handed to ws only while its bufferedAmount is below this. */
  readonly highWaterBytes: number;
  /** Bytes allowed to wait behind the high-water mark; one more frame than that gives up on the peer. */
  readonly maxQueuedBytes: number;
  /** How long frames may wait without the socket taking a byte before the peer is given up on. */
  readonly drainDeadlineMs: number;
  /** Called once when the peer is given up on, with a one-line reason; the caller drops it. */
  readonly onStuck: (reason: string) => void;
}

/** How often a waiting queue looks at bufferedAmount (ws has no drain event of its own). */
const DRAIN_POLL_MS = 20;

export class SendQueue {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** bufferedAmount when the socket last took bytes, and when that was. */
  private lastBuffered = 0;
  private lastProgressMs = 0;
  private stuck = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: SendQueueOptions,
  ) {}

  /** Bytes waiting here, not yet handed to ws. */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  /** Sends now if the peer keeps up, else queues; gives up on the peer past the bounds. */
  send(bytes: Uint8Array): void {
    if (this.stuck || this.ws.readyState !== this.ws.OPEN) return;
    if (this.queue.length === 0 && this.ws.bufferedAmount < this.options.highWaterBytes) {
      this.ws.send(bytes);
      return;
    }
    if (this.queuedBytes + bytes.byteLength > this.options.maxQueuedBytes) {
      this.giveUp(
        `it does not read: ${this.ws.bufferedAmount + this.queuedBytes + bytes.byteLength} bytes would wait for it (limit ${this.options.highWaterBytes + this.options.maxQueuedBytes})`,
      );
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
    if (this.timer === null) {
      this.lastBuffered = this.ws.bufferedAmount;
      this.lastProgressMs = Date.now();
      this.timer = setInterval(() => this.pump(), DRAIN_POLL_MS);
      this.timer.unref();
    }
  }

  /** Drops whatever waits (the connection ended). */
  clear(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.stopTimer();
  }

  private pump(): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      this.clear();
      return;
    }
    const buffered = this.ws.bufferedAmount;
    const now = Date.now();
    if (buffered < this.lastBuffered) this.lastProgressMs = now;
    this.lastBuffered = buffered;
    while (this.queue.length > 0 && this.ws.bufferedAmount < this.options.highWaterBytes) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.byteLength;
      this.ws.send(next);
      this.lastBuffered = this.ws.bufferedAmount;
      this.lastProgressMs = now;
    }
    if (this.queue.length === 0) {
      this.stopTimer();
      return;
    }
    if (now - this.lastProgressMs > this.options.drainDeadlineMs) {
      this.giveUp(
        `it read nothing for ${Math.round((now - this.lastProgressMs) / 1000)} s with ${this.ws.bufferedAmount + this.queuedBytes} bytes waiting`,
      );
    }
  }

  private giveUp(reason: string): void {
    if (this.stuck) return;
    this.stuck = true;
    this.clear();
    this.options.onStuck(reason);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
