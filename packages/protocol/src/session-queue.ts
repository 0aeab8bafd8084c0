/**
 * The serial job queue both sessions run on. Every public method of a session is one job; jobs
 * run one at a time in call order, so sequence numbers are taken, signatures computed and
 * actions handed back in exactly the order the driver called — and since a job's promise
 * settles before the next job starts, a driver that applies each job's actions in a `.then`
 * applies them in that order too (its reaction is queued before the next job's start).
 */
export class SessionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job enqueued before it; its result (or error) is the returned promise's. */
  run<T>(job: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
