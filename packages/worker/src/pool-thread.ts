/**
 * One thread of a local pool: a Piscina thread (started, watched and stopped by Piscina) that
 * serves one long task, its channel (thread-channel.ts), through which every job goes. Jobs on
 * a thread run one after another in the order they are given; an idle thread's job is posted
 * synchronously, so it starts even if the caller then blocks its own thread computing.
 *
 * A caller with nothing else to do can take back a job the thread has not started (`local`):
 * on a busy machine a woken thread may wait for a core longer than the job takes.
 */
import { MessageChannel } from 'node:worker_threads';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import type { Piscina } from 'piscina';
import { ChannelHost, createMailbox, type ChannelEnd } from './thread-channel.js';

/** How a job is waited for, and what the calling thread does instead when it takes it back. */
export interface JobWait<T> {
  /**
   * The job is short: once the caller's synchronous work is over, wait for it blocking (no
   * event-loop turn) up to this long [ms], then asynchronously. 0: asynchronously, after the
   * event loop's next turn when `local` is given.
   */
  readonly blockingMs?: number;
  /** The job run on the calling thread, if the thread has not started it by then. */
  readonly local?: () => T;
}

/**
 * A job its thread has not started this long after it was posted is taken back [ms]: an idle
 * thread with a free core claims its job within about 10 µs (scripts/bench-handoff.mjs).
 */
const TAKE_BACK_AFTER_MS = 0.2;

/**
 * Puts a job's numbers into the channel's args (and what does not fit in numbers on the port,
 * through `send`, before the job) and returns its kind.
 */
export type JobWrite = (args: Float64Array, send: (message: unknown) => void) => number;

export class PoolThread {
  readonly host: ChannelHost;
  private readonly served: Promise<unknown>;
  /** The last job while one is queued or running, else null. */
  private queue: Promise<unknown> | null = null;

  /**
   * @param spinMicros how long the thread polls for its next job before it sleeps
   */
  constructor(
    readonly slot: number,
    private readonly piscina: Piscina,
    spinMicros: number,
  ) {
    const mailbox = createMailbox();
    const { port1, port2 } = new MessageChannel();
    this.host = new ChannelHost(mailbox, port1);
    const end: ChannelEnd = { mailbox, port: port2, spinMicros };
    this.served = piscina.run(end, { transferList: [port2] }).then(
      () => this.host.fail(new Error('the thread has stopped')),
      (err: unknown) => this.host.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /**
   * Runs one job: `write` puts it into the channel and returns its kind, `read` takes the
   * results from args once it is done.
   * @throws GradswarmError THREAD_FAILED (rejects) with the thread's message if the job threw
   *   or the thread died; what `write` throws (rejects) as it is
   */
  run<T>(write: JobWrite, read: (args: Float64Array) => T, how: JobWait<T> = {}): Promise<T> {
    const go = () => this.once(write, read, how);
    const run = this.queue === null ? go() : this.queue.then(go);
    const settled = run
      .catch(() => undefined)
      .then(() => {
        if (this.queue === settled) this.queue = null;
      });
    this.queue = settled;
    return run;
  }

  private async once<T>(write: JobWrite, read: (args: Float64Array) => T, how: JobWait<T>): Promise<T> {
    const kind = write(this.host.args, (message) => this.host.send(message));
    const blockingMs = how.blockingMs ?? 0;
    let stolen = false;
    try {
      const postedAt = performance.now();
      const seq = this.host.post(kind);
      if (blockingMs > 0) {
        // The caller runs its own share first; this continues once it awaits.
        await null;
      } else if (how.local) {
        // The caller's own shard is computed within this turn; it then waits, free to help.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Taken back only when the caller was busy long enough for an idle thread to have woken
      // (microseconds with a free core): a job posted just now is left to its thread.
      if (how.local && performance.now() - postedAt >= TAKE_BACK_AFTER_MS && this.host.steal(seq)) stolen = true;
      else if (!(blockingMs > 0 && this.host.waitBlocking(seq, blockingMs))) await this.host.wait(seq);
    } catch (err) {
      throw new GradswarmError(
        ErrorCode.THREAD_FAILED,
        `thread ${this.slot} failed: ${(err as Error)?.message ?? String(err)}`,
        { cause: err },
      );
    }
    return stolen ? how.local!() : read(this.host.args);
  }

  /** Lets the job under way finish, then ends the thread's task; resolves once it has ended. */
  async stop(): Promise<void> {
    await this.queue;
    this.host.stop();
    await this.served;
    await this.piscina.destroy();
  }
}
