import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCode } from '@gradswarm/protocol';
import { DEFAULT_MAX_DEPARTED_WORKERS, Membership } from '../src/membership.js';
import { RemoteWorker, type WorkerLink } from '../src/remote-worker.js';
import { buildStatusDocument, type RunStatus } from '../src/status-document.js';

const link: WorkerLink = {
  sendStep: () => undefined,
  close: () => undefined,
  dropped: () => undefined,
  abandon: () => undefined,
};
const join = (m: Membership, name: string): RemoteWorker => {
  const w = new RemoteWorker(m.allocateId(), name, 1, 'reference', link, 1000);
  m.admit(w);
  return w;
};
const run: RunStatus = {
  state: 'training',
  step: 10,
  epoch: 0,
  epochs: 1,
  batch: 9,
  batchesPerEpoch: 20,
  cost: 0.5,
  samplesPerSecond: 100,
  reproducible: null,
  localThreads: 1,
};
const statusOf = (m: Membership) =>
  buildStatusDocument(run, { workers: m.all(), admitted: m.admittedCount, departed: m.departedCount }, 0, 0);

/** Node's gc(), reached without --expose-gc on the command line. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('Membership', () => {
  describe('options', () => {
    it('refuses a maxDepartedWorkers that is not a non-negative integer or Infinity', () => {
      expect(() => new Membership([], { log: () => undefined }, { maxDepartedWorkers: -1 })).toThrow(
        new RangeError('options.maxDepartedWorkers must be a non-negative integer or Infinity, got -1'),
      );
      expect(() => new Membership([], { log: () => undefined }, { maxDepartedWorkers: 2.5 })).toThrow(RangeError);
      expect(() => new Membership([], { log: () => undefined }, { maxDepartedWorkers: Infinity })).not.toThrow();
    });
  });

  describe('under churn (issue 16 item 19)', () => {
    it('keeps the live workers and only the last maxDepartedWorkers departed ones over 2000 join/leave cycles', () => {
      const lines: string[] = [];
      const m = new Membership([], { log: (l) => lines.push(l) });
      const steady = join(m, 'steady');
      for (let i = 0; i < 2000; i++) {
        const w = join(m, `churn-${i}`);
        // Half leave through the server (departed), half are dropped by the trainer (drop).
        if (i % 2 === 0) m.departed(w, 'LEFT', 'bye');
        else w.drop(ProtocolErrorCode.REJECTED, 'dropped');
      }
      const all = m.all();
      expect(all).toHaveLength(1 + DEFAULT_MAX_DEPARTED_WORKERS);
      expect(all[0]).toBe(steady);
      expect(all.slice(1).map((w) => w.name)).toEqual(
        Array.from(
          { length: DEFAULT_MAX_DEPARTED_WORKERS },
          (_, k) => `churn-${2000 - DEFAULT_MAX_DEPARTED_WORKERS + k}`,
        ),
      );
      expect(m.ready()).toEqual([steady]);
      expect(m.admittedCount).toBe(2001);
      expect(m.departedCount).toBe(2000);
      expect(lines.filter((l) => / joined/.test(l))).toHaveLength(2001);
    });

    it('keeps /status the same size after 2000 cycles as after 200', () => {
      const sizes = [200, 2000].map((cycles) => {
        const m = new Membership([], { log: () => undefined });
        join(m, 'steady');
        for (let i = 0; i < cycles; i++) m.departed(join(m, 'churn'), 'LEFT', 'bye');
        const doc = statusOf(m);
        expect(doc.workers).toHaveLength(1 + DEFAULT_MAX_DEPARTED_WORKERS);
        expect(doc).toMatchObject({ workersAdmitted: cycles + 1, workersDeparted: cycles });
        return Buffer.byteLength(JSON.stringify(doc));
      });
      // Only the ids grow a digit: 100 workers × 1 character, plus the two counters.
      expect(sizes[1] - sizes[0]).toBeLessThanOrEqual(DEFAULT_MAX_DEPARTED_WORKERS + 2);
      expect(sizes[1]).toBeLessThan(20_000);
    });

    it('lets go of departed workers beyond the history (they can be garbage-collected)', async () => {
      const gc = collectGarbage();
      const m = new Membership([], { log: () => undefined }, { maxDepartedWorkers: 10 });
      const early: WeakRef<RemoteWorker>[] = [];
      for (let i = 0; i < 2000; i++) {
        const w = join(m, 'churn');
        if (i < 100) early.push(new WeakRef(w));
        m.departed(w, 'LEFT', 'bye');
      }
      // WeakRef targets stay alive until the current job ends.
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
      expect(early.filter((r) => r.deref() !== undefined)).toEqual([]);
      expect(m.all()).toHaveLength(10);
    });

    it('keeps every departed worker with maxDepartedWorkers Infinity, and none with 0', () => {
      for (const [max, expected] of [
        [Infinity, 50],
        [0, 0],
      ] as const) {
        const m = new Membership([], { log: () => undefined }, { maxDepartedWorkers: max });
        for (let i = 0; i < 50; i++) m.departed(join(m, 'churn'), 'LEFT', 'bye');
        expect(m.all()).toHaveLength(expected);
        expect(m.departedCount).toBe(50);
      }
    });
  });
});

describe('Membership events (run-events)', () => {
  it('reports a join, a leave and a drop once each, with the step a joiner starts at', () => {
    const seen: string[] = [];
    const m = new Membership([], {
      log: () => undefined,
      nextStep: () => 4,
      joined: (w, from) => seen.push(`joined ${w.name} ${from}`),
      departed: (w, state, reason) => seen.push(`${state} ${w.name}: ${reason}`),
    });
    const a = join(m, 'a');
    const b = join(m, 'b');
    m.departed(a, 'LEFT', 'bye');
    m.departed(a, 'LEFT', 'bye again'); // already gone: not reported twice
    // A session's own drop: the link tells membership first, the socket's close follows.
    m.dropping(b, 'step timed out');
    b.drop(ProtocolErrorCode.STEP_TIMEOUT, 'step timed out');
    m.departed(b, 'DROPPED', 'step timed out', true);
    expect(seen).toEqual(['joined a 4', 'joined b 4', 'LEFT a: bye', 'DROPPED b: step timed out']);
  });
});
