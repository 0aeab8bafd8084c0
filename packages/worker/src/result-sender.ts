/**
 * Backpressure for a step's gradient frames (issue 17 item 2): each frame is handed to the
 * socket, and the next shard's gradient is not released for reuse while more than
 * `maxUnflushedFrames` frames wait in user space (ws's send callback fires once a frame is
 * written to the kernel). A slow link therefore slows the worker's compute instead of growing its
 * memory by one frame per shard.
 */
import type { WorkerAction } from '@gradswarm/protocol';
import WebSocket from 'ws';

/** Frames a worker lets wait for the socket before it computes on. */
export const MAX_UNFLUSHED_FRAMES = 2;

export class FrameSender {
  private readonly unflushed: Promise<void>[] = [];
  private unflushedBytes = 0;
  /** The most frame bytes that waited for the socket at once. */
  peakUnflushedBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxUnflushedFrames = MAX_UNFLUSHED_FRAMES,
  ) {}

  /**
   * Sends the actions' frames and resolves once at most `maxUnflushedFrames` wait. On a socket
   * that is no longer open nothing is sent and nothing fails: the close ends the session.
   */
  async send(actions: readonly WorkerAction[]): Promise<void> {
    for (const a of actions) {
      if (a.kind !== 'send' || this.ws.readyState !== WebSocket.OPEN) continue;
      const bytes = a.bytes.byteLength;
      this.unflushedBytes += bytes;
      this.peakUnflushedBytes = Math.max(this.peakUnflushedBytes, this.unflushedBytes);
      this.unflushed.push(
        new Promise((resolve) =>
          this.ws.send(a.bytes, () => {
            this.unflushedBytes -= bytes;
            resolve();
          }),
        ),
      );
    }
    while (this.unflushed.length > this.maxUnflushedFrames) await this.unflushed.shift();
  }
}
