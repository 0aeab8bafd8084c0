import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROTOCOL_LIMITS,
  encodeMessage,
  handshakeLimits,
  PROTOCOL_VERSION,
  readTensor,
  WorkerState,
  type StepRequest,
} from '../src/index.js';
import { filled, floats, FP } from './fixtures/messages.js';
import {
  coordinatorSession,
  decoded,
  deliver,
  DIALLED,
  joined,
  ofKind,
  onlySent,
  ready,
  sent,
  workerSession,
} from './fixtures/session-pair.js';

const utf8 = new TextEncoder();
const weights = new Float32Array(floats(23).buffer);
const step: StepRequest = {
  step: 0,
  version: 0,
  weights,
  epoch: 0,
  batch: 0,
  shards: [{ offset: 0, count: 5 }],
  reduce: 'sum',
};

describe('WorkerSession 0 AWAIT_CHALLENGE', () => {
  it('says hello on open with its version, threads, backend and label', async () => {
    const w = await workerSession();
    expect(decoded(onlySent(await w.open()))).toEqual({
      t: 'hello',
      version: PROTOCOL_VERSION,
      threads: 2,
      backend: 'reference',
      label: 'w',
    });
    expect(w.state).toBe(WorkerState.AWAIT_CHALLENGE);
  });

  it('answers the challenge with a 32-byte MAC, its cnonce and the address it dialled → AWAIT_WELCOME', async () => {
    const w = await workerSession();
    await w.open();
    const auth = decoded(
      onlySent(await w.receive(encodeMessage({ t: 'challenge', nonce: filled(32, 1), coordinatorId: filled(16, 2) }))),
    );
    expect(auth).toMatchObject({ t: 'auth', dialled: DIALLED });
    expect(auth.t === 'auth' && [auth.mac.byteLength, auth.cnonce.byteLength]).toEqual([32, 32]);
    expect(w.state).toBe(WorkerState.AWAIT_WELCOME);
  });

  it('stops for good on an error with a refusal code (auth, version, backend, world size)', async () => {
    for (const code of [
      'GS_ERR_AUTH',
      'GS_ERR_PROTOCOL_VERSION',
      'GS_ERR_BACKEND_MISMATCH',
      'GS_ERR_WORLD_SIZE_MISMATCH',
    ]) {
      const w = await workerSession();
      await w.open();
      expect(await w.receive(encodeMessage({ t: 'error', code, message: 'no' }))).toEqual([
        { kind: 'refused', code, message: 'the coordinator refused this worker: no' },
      ]);
      expect(w.state).toBe(WorkerState.CLOSED);
    }
  });

  it('never throws on an error whose code is over 1024 non-ASCII characters: close 4002 with a reason of at most 123 bytes, lost', async () => {
    const w = await workerSession();
    await w.open();
    const actions = await w.receive(encodeMessage({ t: 'error', code: 'É'.repeat(1500), message: 'x' }));
    const [close] = ofKind(actions, 'close');
    expect(close.code).toBe(4002);
    expect(utf8.encode(close.reason).byteLength).toBeLessThanOrEqual(123);
    expect(ofKind(actions, 'lost')[0].message).toMatch(/^refused a message from the coordinator: error\.code must be/);
  });

  it('refuses a step before the welcome as UNEXPECTED (4005) and a text frame as 1002', async () => {
    const w = await workerSession();
    await w.open();
    const s = { t: 'step', request: 1, ...step, weights: true } as const;
    expect(ofKind(await w.receive(encodeMessage(s)), 'close')[0].code).toBe(4005);
    const t = await workerSession();
    await t.open();
    expect(ofKind(await t.receive(utf8.encode('hi'), false), 'close')[0].code).toBe(1002);
  });
});

describe('WorkerSession frame limits by phase (issue 17 item 1)', () => {
  it('refuses a challenge above the handshake bound with TOO_BIG (1009) before it has verified the coordinator', async () => {
    const w = await workerSession();
    expect(w.currentLimits.maxPayloadBytes).toBe(handshakeLimits(DEFAULT_PROTOCOL_LIMITS).maxPayloadBytes);
    await w.open();
    const actions = await w.receive(
      encodeMessage({
        t: 'challenge',
        nonce: filled(32, 1),
        coordinatorId: filled(16, 2),
        pad: new Uint8Array(64 * 1024),
      } as never),
    );
    expect(ofKind(actions, 'close')[0].code).toBe(1009);
    expect(w.state).toBe(WorkerState.CLOSED);
  });
});

describe('WorkerSession and a peer it has not verified (issue 17 item 4)', () => {
  it('takes an unsigned leave "finished" before the welcome as a lost link, never as the end of the run', async () => {
    const w = await workerSession();
    await w.open();
    const early = await w.receive(encodeMessage({ t: 'leave', reason: 'finished' }));
    expect(early.map((a) => a.kind)).toEqual(['lost']);
    expect(ofKind(early, 'lost')[0].message).toMatch(
      /^an unverified peer at the coordinator's address said leave \(finished\); not trusted/,
    );
    const afterAuth = await workerSession();
    await afterAuth.open();
    await afterAuth.receive(encodeMessage({ t: 'challenge', nonce: filled(32, 1), coordinatorId: filled(16, 2) }));
    expect(afterAuth.state).toBe(WorkerState.AWAIT_WELCOME);
    expect((await afterAuth.receive(encodeMessage({ t: 'leave', reason: 'finished' }))).map((a) => a.kind)).toEqual([
      'lost',
    ]);
  });
});

describe('a run that ends while a worker is in the handshake (issue 17 item 4)', () => {
  for (const when of ['before its hello', 'between the challenge and the auth'] as const) {
    it(`answers the auth with a signed leave "finished" for leave() ${when}: the worker takes it as the end`, async () => {
      const coordinator = await coordinatorSession();
      const worker = await workerSession();
      if (when === 'before its hello') expect(await coordinator.leave('finished', 'run finished')).toEqual([]);
      const challenge = onlySent(await coordinator.receive(onlySent(await worker.open())));
      if (when !== 'before its hello') expect(await coordinator.leave('finished', 'run finished')).toEqual([]);
      const answer = await coordinator.receive(onlySent(await worker.receive(challenge)));
      // No worker id is given out and no welcome is sent: the leave, then close 1000.
      expect(answer.map((a) => a.kind)).toEqual(['send', 'close']);
      expect(ofKind(answer, 'close')[0]).toMatchObject({ code: 1000, reason: 'run finished' });
      expect(decoded(onlySent(answer))).toEqual({ t: 'leave', reason: 'finished' });
      expect(await worker.receive(onlySent(answer))).toEqual([{ kind: 'finished' }]);
      expect(worker.state).toBe(WorkerState.CLOSED);
    });
  }

  it("refuses a leave sealed under another session's keys in place of the welcome, never takes it as the end", async () => {
    const real = await coordinatorSession();
    const worker = await workerSession();
    await real.receive(onlySent(await worker.open()));
    // Another connection's signed leave, replayed here: its MAC is not under this session's keys.
    const other = await coordinatorSession();
    const otherWorker = await workerSession();
    const otherChallenge = onlySent(await other.receive(onlySent(await otherWorker.open())));
    await other.leave('finished', 'run finished');
    const forged = onlySent(await other.receive(onlySent(await otherWorker.receive(otherChallenge))));
    await worker.receive(encodeMessage({ t: 'challenge', nonce: filled(32, 1), coordinatorId: filled(16, 2) }));
    const actions = await worker.receive(forged);
    // A stranger's, as an unsealed one is: not trusted, and not a refusal that would stop the worker.
    expect(actions.map((a) => a.kind)).toEqual(['lost']);
    expect(ofKind(actions, 'lost')[0].message).toMatch(/^an unverified peer at the coordinator's address said leave/);
  });
});

describe('WorkerSession 1 AWAIT_WELCOME', () => {
  it('takes a signed welcome whose MAC verifies → PREPARING, with limits sized to the model', async () => {
    const { worker, workerActions } = await joined();
    expect(workerActions.map((a) => a.kind)).toEqual(['welcome']);
    expect(worker.state).toBe(WorkerState.PREPARING);
    expect(worker.currentLimits.maxPayloadBytes).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses for good a welcome that does not verify, e.g. one replayed from another connection (close 1008)', async () => {
    const c = await coordinatorSession();
    const w = await workerSession();
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    await w.receive(challenge);
    // A fake coordinator without the token can only replay a welcome from another connection:
    // it carries another MAC and another signature.
    const other = await joined();
    const actions = await w.receive(other.frames.welcome);
    expect(ofKind(actions, 'refused')[0].message).toBe(
      'the coordinator could not prove it knows the token - help: check --token and --connect',
    );
    expect(ofKind(actions, 'close')[0].code).toBe(1008);
  });
});

describe('WorkerSession 2 PREPARING and 3 READY', () => {
  it('asks for chunks, hands them over, and says ready with the welcome fingerprint → READY', async () => {
    const { coordinator, worker } = await joined();
    const request = onlySent(await worker.requestChunk(0, 100));
    expect(decoded(request)).toEqual({ t: 'data-request', fingerprint: FP, offset: 0, length: 100 });
    const [chunk] = ofKind(await worker.receive(onlySent(await coordinator.receive(request))), 'chunk');
    expect(chunk.chunk.bytes.byteLength).toBe(100);
    expect(decoded(onlySent(await worker.ready()))).toEqual({ t: 'ready', fingerprint: FP });
    expect(worker.state).toBe(WorkerState.READY);
  });

  it('answers a signed heartbeat with a signed heartbeat', async () => {
    const { coordinator, worker } = await ready();
    expect(decoded(onlySent(await worker.receive(onlySent(await coordinator.heartbeat(1)))))).toMatchObject({
      t: 'heartbeat',
    });
  });

  it('hands over a step and echoes its step, request and version in the result', async () => {
    const { coordinator, worker } = await ready();
    const sentStep = await coordinator.sendStep(step);
    // The step alone is not a step to compute: its weights' frame completes it.
    expect(await worker.receive(sent(sentStep)[0])).toEqual([]);
    const [got] = ofKind(await worker.receive(sent(sentStep)[1]), 'step');
    const into = new Float32Array(23);
    readTensor(into, got.weights!);
    expect(into).toEqual(weights);
    const answer = sent(await worker.result(got.step, { grads: [weights], lossSums: [1], counts: [5], computeMs: 2 }));
    expect(answer).toHaveLength(2); // the gradient's frame, then the result that counts it
    expect(answer[0][0]).toBe(0xc1);
    expect(decoded(answer[1])).toMatchObject({ t: 'result', step: 0, request: 1, version: 0, grads: 1 });
  });

  it('streams gradients before the result, which counts them and those it carries', async () => {
    const { coordinator, worker } = await ready();
    const two: StepRequest = { ...step, reduce: 'each', shards: [step.shards[0], { offset: 5, count: 2 }] };
    const [got] = ofKind(await deliver(worker, await coordinator.sendStep(two)), 'step');
    const streamed = sent(await worker.gradient(got.step, weights));
    expect(streamed).toHaveLength(1);
    const rest = sent(
      await worker.result(got.step, { grads: [weights], lossSums: [1, 1], counts: [5, 2], computeMs: 2 }),
    );
    expect(rest).toHaveLength(2);
    expect(decoded(rest[1])).toMatchObject({ t: 'result', grads: 2 });
    const actions = await deliver(
      coordinator,
      [...streamed, ...rest].map((bytes) => ({ kind: 'send' as const, bytes })),
    );
    expect(ofKind(actions, 'gradient').map((g) => g.index)).toEqual([0, 1]);
    expect(ofKind(actions, 'result')).toHaveLength(1);
  });

  it('refuses tampered weights (a weight changed in flight) with close 1008 and lost, and an unsigned step too', async () => {
    const { coordinator, worker } = await ready();
    const [message, frame] = sent(await coordinator.sendStep(step));
    await worker.receive(message);
    frame[40] ^= 1;
    const actions = await worker.receive(frame);
    expect(ofKind(actions, 'close')[0].code).toBe(1008);
    expect(ofKind(actions, 'lost')[0].message).toMatch(/MAC does not verify/);
    const other = await ready();
    const unsigned = await other.worker.receive(encodeMessage({ t: 'step', request: 1, ...step, weights: true }));
    expect(ofKind(unsigned, 'lost')[0].message).toMatch(/without a signature/);
  });

  it('takes leave "finished" as the end, any other leave as a lost link', async () => {
    const a = await ready();
    expect(await a.worker.receive(onlySent(await a.coordinator.leave('finished', 'run finished')))).toEqual([
      { kind: 'finished' },
    ]);
    const b = await ready();
    expect(await b.worker.receive(onlySent(await b.coordinator.leave('interrupted', 'bye')))).toEqual([
      { kind: 'lost', message: 'coordinator left: interrupted' },
    ]);
  });

  it('gives up on a silent coordinator: close 4007 and lost, once', async () => {
    const { worker } = await ready();
    expect(await worker.silent(3200)).toEqual([
      { kind: 'close', code: 4007, reason: 'no message from the coordinator for 3.2 s' },
      { kind: 'lost', message: 'no message from the coordinator for 3.2 s' },
    ]);
    expect(await worker.silent(5000)).toEqual([]);
    expect(worker.state).toBe(WorkerState.CLOSED);
  });

  it('cuts its own leave and error texts to the label limit and close reasons to 123 bytes', async () => {
    const { worker } = await ready();
    const actions = await worker.leave('ü'.repeat(2000));
    expect(decoded(onlySent(actions))).toMatchObject({ t: 'leave' });
    expect(utf8.encode(ofKind(actions, 'close')[0].reason).byteLength).toBeLessThanOrEqual(123);
  });
});
