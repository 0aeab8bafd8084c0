/**
 * The hand-off between the main thread and one pool thread (issue 11 item 5): a mailbox in
 * shared memory instead of postMessage. The host writes a job's numbers into `args`, bumps the
 * request word and wakes the thread (Atomics.notify); the thread runs the job, writes its
 * results into `args`, bumps the done word and wakes the host, which waits with
 * Atomics.waitAsync (its event loop stays free) or, for a job it knows is short, Atomics.wait.
 * A postMessage call went through V8 serialisation, Piscina's queue and an event-loop turn on
 * each side (scripts/bench-handoff.mjs measures both). Piscina keeps the threads' lifecycle:
 * each thread runs one task, serveChannel, until the host sends CHANNEL_STOP.
 *
 * The thread also has a MessagePort, read only synchronously (receiveMessageOnPort): the host
 * posts there what does not fit in numbers (shared buffers, once each, and rare big jobs)
 * before it posts the job that needs them.
 *
 * A job is claimed once, by the thread as it starts it or by the host (steal): a host with
 * nothing left to do takes back a job its thread has not started, which on a busy machine
 * may be waiting for a core, and runs it itself; the bits are the same wherever it runs.
 *
 * Mailbox layout: Int32 words [request, done, kind, status, error bytes, claimed] then, 8-byte
 * aligned, CHANNEL_ARGS float64 args, then CHANNEL_TEXT_BYTES of UTF-8 error text.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** Atomics.waitAsync (Node 16+), which this project's TypeScript lib (before es2024) does not declare. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };
const waitAsync = (Atomics as unknown as { readonly waitAsync: WaitAsync }).waitAsync;

const REQUEST = 0;
const DONE = 1;
const KIND = 2;
const STATUS = 3;
const TEXT_LENGTH = 4;
/** The last job claimed (run by the thread or taken back by the host). */
const CLAIMED = 5;
const HEADER_BYTES = 32;

/** Float64 arguments (and results) a job can carry. */
export const CHANNEL_ARGS = 4096;
const CHANNEL_TEXT_BYTES = 1024;
const ARGS_BYTES = CHANNEL_ARGS * 8;

/** The job kind that ends serveChannel. */
export const CHANNEL_STOP = 0;

/** What a pool thread needs to serve its end of a channel (its part of Piscina's workerData). */
export interface ChannelEnd {
  readonly mailbox: SharedArrayBuffer;
  readonly port: MessagePort;
  /** Microseconds the thread polls for the next job before it sleeps. */
  readonly spinMicros: number;
}

function views(mailbox: SharedArrayBuffer) {
  return {
    header: new Int32Array(mailbox, 0, HEADER_BYTES / 4),
    args: new Float64Array(mailbox, HEADER_BYTES, CHANNEL_ARGS),
    text: new Uint8Array(mailbox, HEADER_BYTES + ARGS_BYTES, CHANNEL_TEXT_BYTES),
  };
}

/** A zeroed mailbox. */
export function createMailbox(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + ARGS_BYTES + CHANNEL_TEXT_BYTES);
}

/**
 * The host's end: one job at a time (callers queue), posted synchronously so a thread that is
 * idle starts at once, even if the caller then blocks its own thread computing.
 */
export class ChannelHost {
  /** The job's numbers, written before post(); the results, read after wait(). */
  readonly args: Float64Array;
  private readonly header: Int32Array;
  private readonly text: Uint8Array;
  private failure: Error | null = null;
  private rejectFailed: (error: Error) => void = () => undefined;
  private readonly failed: Promise<never>;

  constructor(
    mailbox: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    const v = views(mailbox);
    this.header = v.header;
    this.args = v.args;
    this.text = v.text;
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined);
  }

  /** Posts on the port (structured clone; shared buffers are shared, not copied). */
  send(message: unknown): void {
    this.port.postMessage(message);
  }

  /**
   * Hands the job of `kind` whose numbers are in `args` to the thread; returns its sequence
   * number for wait().
   * @throws Error if the thread has failed
   */
  post(kind: number): number {
    if (this.failure) throw this.failure;
    this.header[KIND] = kind;
    const seq = Atomics.add(this.header, REQUEST, 1) + 1;
    Atomics.notify(this.header, REQUEST);
    return seq;
  }

  /**
   * Takes job `seq` back if the thread has not started it; the caller then runs it and the
   * thread skips it. False: the thread has it (wait for it).
   */
  steal(seq: number): boolean {
    return Atomics.compareExchange(this.header, CLAIMED, seq - 1, seq) === seq - 1;
  }

  /** Whether job `seq` has finished (its results are then in args). */
  done(seq: number): boolean {
    return Atomics.load(this.header, DONE) >= seq;
  }

  /**
   * Resolves when job `seq` is done, without blocking this thread.
   * @throws Error (rejects) with the thread's message if the job threw, or if the thread died
   */
  async wait(seq: number): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.header, DONE);
      if (done >= seq) break;
      if (this.failure) throw this.failure;
      const waiting = waitAsync(this.header, DONE, done);
      if (waiting.async) await Promise.race([waiting.value, this.failed]);
    }
    this.check();
  }

  /**
   * Blocks this thread up to `timeoutMs` for job `seq`; true when it is done (then checked as
   * wait() checks), false when the time ran out first (wait() then).
   */
  waitBlocking(seq: number, timeoutMs: number): boolean {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.header, DONE);
      if (done >= seq) break;
      const left = until - performance.now();
      if (left <= 0 || this.failure) return false;
      Atomics.wait(this.header, DONE, done, left);
    }
    this.check();
    return true;
  }

  /** The thread has died (its Piscina task rejected): every wait rejects with `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
  }

  /** Ends the thread's serveChannel; it returns once it has read the stop. */
  stop(): void {
    if (this.failure) return;
    this.post(CHANNEL_STOP);
  }

  private check(): void {
    if (this.header[STATUS] === 0) return;
    const bytes = this.text.slice(0, this.header[TEXT_LENGTH]);
    throw new Error(new TextDecoder().decode(bytes));
  }
}

/** Runs one job on the thread: reads its numbers from args, writes its results there. */
export type ChannelHandler = (kind: number, args: Float64Array, receive: () => unknown) => void;

/**
 * The thread's end: runs jobs as they come until CHANNEL_STOP. A job that throws reports its
 * message to the host's wait, and the thread goes on serving.
 */
export function serveChannel(end: ChannelEnd, handle: ChannelHandler): void {
  const { header, args, text } = views(end.mailbox);
  const receive = (): unknown => {
    const got = receiveMessageOnPort(end.port);
    if (!got) throw new Error('the host posted a job that needs a message, and none is on the port');
    return got.message;
  };
  const encoder = new TextEncoder();
  // From the done word, not the request word: the host may post before this thread has started.
  let seen = Atomics.load(header, DONE);
  for (;;) {
    let seq = Atomics.load(header, REQUEST);
    if (seq === seen && end.spinMicros > 0) {
      // The next job often follows within microseconds (a step's update after its gradient,
      // the next step after an update): polling a little saves the sleep and the wake-up.
      const until = performance.now() + end.spinMicros / 1000;
      while ((seq = Atomics.load(header, REQUEST)) === seen && performance.now() < until);
    }
    while (seq === seen) {
      Atomics.wait(header, REQUEST, seen);
      seq = Atomics.load(header, REQUEST);
    }
    // One job at a time: the host posts the next only after this one's done word.
    seen = seq;
    const kind = header[KIND];
    if (kind === CHANNEL_STOP) {
      Atomics.store(header, DONE, seq);
      Atomics.notify(header, DONE);
      return;
    }
    // Every job before this one was claimed, by this thread or the host, before it was posted.
    if (Atomics.compareExchange(header, CLAIMED, seq - 1, seq) !== seq - 1) {
      Atomics.store(header, DONE, seq);
      continue;
    }
    try {
      handle(kind, args, receive);
      header[STATUS] = 0;
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const { written } = encoder.encodeInto(message, text);
      header[TEXT_LENGTH] = written;
      header[STATUS] = 1;
    }
    Atomics.store(header, DONE, seq);
    Atomics.notify(header, DONE);
  }
}
