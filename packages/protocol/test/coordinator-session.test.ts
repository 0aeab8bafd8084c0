import { describe, expect, it } from 'vitest';
import {
  CoordinatorState,
  DEFAULT_PROTOCOL_LIMITS,
  encodeMessage,
  handshakeLimits,
  PROTOCOL_VERSION,
  readTensor,
  type StepRequest,
} from '../src/index.js';
import { filled, floats, FP } from './fixtures/messages.js';

/** n float32 values (0.5, 0.625, …). */
const values = (n: number): Float32Array => new Float32Array(floats(n).buffer);
import {
  coordinatorSession,
  DATASET,
  decoded,
  deliver,
  joined,
  ofKind,
  onlySent,
  ready,
  sent,
  workerSession,
} from './fixtures/session-pair.js';

const utf8 = new TextEncoder();

/** The close action of a list: its code and that the reason fits a close frame. */
function closeOf(actions: Awaited<ReturnType<Awaited<ReturnType<typeof coordinatorSession>>['receive']>>) {
  const [close] = ofKind(actions, 'close');
  expect(close, JSON.stringify(actions.map((a) => a.kind))).toBeDefined();
  expect(utf8.encode(close.reason).byteLength).toBeLessThanOrEqual(123);
  return close;
}

const step: StepRequest = {
  step: 4,
  version: 4,
  weights: values(23),
  epoch: 0,
  batch: 4,
  shards: [{ offset: 0, count: 5 }],
  reduce: 'each',
};

describe('CoordinatorSession 0 AWAIT_HELLO', () => {
  it('answers hello with a challenge of a fresh nonce and the coordinator id → AWAIT_AUTH', async () => {
    const c = await coordinatorSession();
    const bytes = onlySent(
      await c.receive(
        encodeMessage({ t: 'hello', version: PROTOCOL_VERSION, threads: 1, backend: 'reference', label: 'x' }),
      ),
    );
    const m = decoded(bytes);
    expect(m).toMatchObject({ t: 'challenge', coordinatorId: filled(16, 7) });
    expect(c.state).toBe(CoordinatorState.AWAIT_AUTH);
  });

  it('refuses any other type first with error UNEXPECTED and close 4005 → CLOSED, then ignores everything', async () => {
    const c = await coordinatorSession();
    const actions = await c.receive(encodeMessage({ t: 'heartbeat', timeMs: 1 }));
    expect(ofKind(actions, 'refused')[0]).toMatchObject({ code: 'GS_ERR_PROTOCOL_UNEXPECTED' });
    expect(decoded(onlySent(actions))).toMatchObject({ t: 'error', code: 'GS_ERR_PROTOCOL_UNEXPECTED' });
    expect(closeOf(actions).code).toBe(4005);
    expect(c.state).toBe(CoordinatorState.CLOSED);
    expect(
      await c.receive(encodeMessage({ t: 'hello', version: PROTOCOL_VERSION, threads: 1, backend: 'r', label: '' })),
    ).toEqual([]);
  });

  it('refuses another version with 4001, a text frame and non-msgpack with 1002', async () => {
    const v = await coordinatorSession();
    expect(
      closeOf(
        await v.receive(
          encodeMessage({ t: 'hello', version: PROTOCOL_VERSION + 1, threads: 1, backend: 'r', label: '' }),
        ),
      ).code,
    ).toBe(4001);
    const text = await coordinatorSession();
    const actions = await text.receive(utf8.encode('{"t":"hello"}'), false);
    expect(closeOf(actions)).toMatchObject({ code: 1002, reason: 'a text frame; messages are binary msgpack' });
    expect(closeOf(await (await coordinatorSession()).receive(Uint8Array.of(0xc1))).code).toBe(1002);
  });

  it('cuts the close reason of a hello with a 1100-character non-ASCII label or backend to 123 bytes, and the error text to the label limit', async () => {
    for (const field of ['label', 'backend'] as const) {
      const c = await coordinatorSession();
      const hello = {
        t: 'hello',
        version: PROTOCOL_VERSION,
        threads: 1,
        backend: 'reference',
        label: 'x',
        [field]: 'é'.repeat(1100),
      } as const;
      const actions = await c.receive(encodeMessage(hello));
      const close = closeOf(actions);
      expect(close.code).toBe(4002);
      expect(close.reason.endsWith('…')).toBe(true);
      const error = decoded(onlySent(actions));
      expect(error.t === 'error' && error.message.length).toBeLessThanOrEqual(1024);
    }
  });
});

describe('CoordinatorSession frame limits by phase (issue 17 item 1)', () => {
  /** A valid hello padded with an unknown field (ignored by the validator) to `bytes` or more. */
  const bigHello = (bytes: number) =>
    encodeMessage({
      t: 'hello',
      version: PROTOCOL_VERSION,
      threads: 1,
      backend: 'reference',
      label: 'x',
      pad: new Uint8Array(bytes),
    } as never);

  it('refuses a hello above the handshake bound with TOO_BIG (1009), although the model limit is far larger', async () => {
    const c = await coordinatorSession();
    expect(c.currentLimits.maxPayloadBytes).toBe(handshakeLimits(DEFAULT_PROTOCOL_LIMITS).maxPayloadBytes);
    const actions = await c.receive(bigHello(64 * 1024));
    expect(ofKind(actions, 'refused')[0]).toMatchObject({ code: 'GS_ERR_PROTOCOL_TOO_BIG' });
    expect(closeOf(actions).code).toBe(1009);
  });

  it('raises the limit to the full one only once the welcome is sent', async () => {
    const { coordinator } = await joined();
    expect(coordinator.currentLimits).toBe(DEFAULT_PROTOCOL_LIMITS);
  });
});

describe('CoordinatorSession 1 AWAIT_AUTH', () => {
  it('welcomes a worker holding the token: joined with an id, then a signed welcome → JOINED', async () => {
    const { coordinator, welcomeActions, workerActions } = await joined();
    expect(welcomeActions.map((a) => a.kind)).toEqual(['joined', 'send']);
    expect(ofKind(welcomeActions, 'joined')[0]).toMatchObject({ workerId: 1, hello: { label: 'w', threads: 2 } });
    expect(decoded(onlySent(welcomeActions))).toMatchObject({
      t: 'welcome',
      workerId: 1,
      chunkBytes: 100,
      heartbeatMs: 1000,
    });
    expect(coordinator.state).toBe(CoordinatorState.JOINED);
    expect(workerActions.map((a) => a.kind)).toEqual(['welcome']);
  });

  it('refuses a MAC from another token with GS_ERR_AUTH "wrong token", close 1008, unsigned', async () => {
    const c = await coordinatorSession();
    const w = await workerSession({ token: 'another-token-of-16+' });
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0]).toEqual({ kind: 'refused', code: 'GS_ERR_AUTH', reason: 'wrong token' });
    expect(decoded(onlySent(actions))).toEqual({ t: 'error', code: 'GS_ERR_AUTH', message: 'wrong token' });
    expect(closeOf(actions).code).toBe(1008);
  });

  it('refuses a worker that dialled another address (a relay) although its MAC verifies', async () => {
    const c = await coordinatorSession();
    const w = await workerSession({ dialled: 'ws://127.0.0.1:9999' });
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0].reason).toMatch(
      /^the worker dialled ws:\/\/127\.0\.0\.1:9999, not an address of this coordinator: a relay may stand between/,
    );
    expect(closeOf(actions).code).toBe(1008);
  });

  it('refuses a MAC bound to another certificate on wss, whatever the address', async () => {
    const c = await coordinatorSession({ certFingerprint: 'ab'.repeat(32), isOwnAddress: () => false });
    const w = await workerSession();
    const challenge = onlySent(await c.receive(onlySent(await w.open('cd'.repeat(32)))));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0]).toMatchObject({ code: 'GS_ERR_AUTH' });
    // The same certificate on both sides joins, with no address check.
    const ok = await joined(
      await coordinatorSession({ certFingerprint: 'ab'.repeat(32), isOwnAddress: () => false }),
      await workerSession(),
      `${'AB:'.repeat(31)}AB`,
    );
    expect(ofKind(ok.welcomeActions, 'refused')).toEqual([]);
    expect(ok.workerActions.map((a) => a.kind)).toEqual(['welcome']);
  });

  it('refuses another kernel backend in reproducible mode with GS_ERR_BACKEND_MISMATCH and close 1008', async () => {
    const c = await coordinatorSession({ requireBackend: 'native' });
    const w = await workerSession();
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0].reason).toMatch(
      /needs kernel backend native everywhere; this worker uses reference - help: start it with GRADSWARM_KERNEL=native/,
    );
    expect(closeOf(actions).code).toBe(1008);
  });
});

describe('CoordinatorSession world size (gradswarm launch)', () => {
  it('refuses a worker whose hello names another world size with GS_ERR_WORLD_SIZE_MISMATCH, close 1008, both sizes named', async () => {
    const c = await coordinatorSession({ worldSize: 3 });
    const w = await workerSession({ worldSize: 4 });
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0]).toMatchObject({ code: 'GS_ERR_WORLD_SIZE_MISMATCH' });
    expect(ofKind(actions, 'refused')[0].reason).toMatch(/launched with WORLD_SIZE=4 but rank 0 with WORLD_SIZE=3/);
    expect(closeOf(actions).code).toBe(1008);
  });

  it('welcomes the same world size, and a worker or coordinator that names none', async () => {
    for (const [c, w] of [
      [3, 3],
      [3, undefined],
      [undefined, 4],
    ] as const) {
      const ok = await joined(await coordinatorSession({ worldSize: c }), await workerSession({ worldSize: w }));
      expect(ofKind(ok.welcomeActions, 'refused'), `coordinator ${c}, worker ${w}`).toEqual([]);
    }
  });

  it('checks the token before the world size: a wrong token hears GS_ERR_AUTH, not the size', async () => {
    const c = await coordinatorSession({ worldSize: 3 });
    const w = await workerSession({ worldSize: 4, token: 'another-token-of-enough-length-0123' });
    const challenge = onlySent(await c.receive(onlySent(await w.open())));
    const actions = await c.receive(onlySent(await w.receive(challenge)));
    expect(ofKind(actions, 'refused')[0]).toMatchObject({ code: 'GS_ERR_AUTH' });
  });
});

describe('CoordinatorSession 2 JOINED', () => {
  it('answers a signed data-request in range with the chunk', async () => {
    const { coordinator, worker } = await joined();
    const actions = await coordinator.receive(onlySent(await worker.requestChunk(100, 100)));
    expect(decoded(onlySent(actions))).toMatchObject({
      t: 'data-chunk',
      fingerprint: FP,
      offset: 100,
      bytes: DATASET.subarray(100, 200),
    });
  });

  it('refuses a data-request outside the data set or above chunkBytes with 4002', async () => {
    for (const [offset, length] of [
      [200, 100],
      [0, 101],
    ]) {
      const { coordinator, worker } = await joined();
      expect(closeOf(await coordinator.receive(onlySent(await worker.requestChunk(offset, length)))).code).toBe(4002);
    }
  });

  it('admits a worker that is ready for its data set → READY, and refuses one ready for another', async () => {
    const { coordinator, admitted } = await ready();
    expect(admitted.map((a) => a.kind)).toEqual(['alive', 'admit']);
    expect(coordinator.state).toBe(CoordinatorState.READY);
    const other = await joined();
    const actions = await other.coordinator.receive(
      onlySent(await other.worker.send({ t: 'ready', fingerprint: 'cd'.repeat(32) })),
    );
    expect(closeOf(actions).code).toBe(4002);
  });

  it('refuses an unsigned message, a tampered one and a replayed one with GS_ERR_AUTH and close 1008', async () => {
    const unsigned = await joined();
    const a = await unsigned.coordinator.receive(encodeMessage({ t: 'ready', fingerprint: FP }));
    expect(ofKind(a, 'refused')[0].reason).toMatch(/without a signature/);
    expect(closeOf(a).code).toBe(1008);

    const tampered = await joined();
    const frame = onlySent(await tampered.worker.requestChunk(0, 100));
    const at = Buffer.from(frame).indexOf('length') + 'length'.length;
    expect(frame[at]).toBe(100);
    frame[at] = 99; // the length 100 → 99: still valid msgpack, still in range
    const b = await tampered.coordinator.receive(frame);
    expect(ofKind(b, 'refused')[0].reason).toMatch(/signature does not verify/);
    expect(closeOf(b).code).toBe(1008);

    const replayed = await joined();
    const once = onlySent(await replayed.worker.requestChunk(0, 100));
    expect(ofKind(await replayed.coordinator.receive(once), 'refused')).toEqual([]);
    const c = await replayed.coordinator.receive(once);
    expect(ofKind(c, 'refused')[0].reason).toMatch(/out of sequence: number 1, expected 2/);
  });

  it('refuses a result before ready as UNEXPECTED (4005)', async () => {
    const { coordinator, worker } = await joined();
    const result = {
      t: 'result',
      step: 0,
      request: 1,
      version: 0,
      grads: 1,
      lossSums: [1],
      counts: [5],
      computeMs: 1,
    } as const;
    expect(closeOf(await coordinator.receive(onlySent(await worker.send(result)))).code).toBe(4005);
  });
});

describe('CoordinatorSession 3 READY', () => {
  it('sends a step and its weights as a tensor frame, and takes the gradient frames, then the result', async () => {
    const { coordinator, worker } = await ready();
    const stepActions = await coordinator.sendStep(step);
    expect(sent(stepActions)).toHaveLength(2); // the signed step message, then the weights
    expect(decoded(sent(stepActions)[0])).toMatchObject({ t: 'step', weights: true, request: 1 });
    const [got] = ofKind(await deliver(worker, stepActions), 'step');
    expect(got.step).toMatchObject({ step: 4, request: 1, version: 4 });
    const into = new Float32Array(23);
    readTensor(into, got.weights!);
    expect(into).toEqual(values(23));
    const grad = values(23).map((v) => -v);
    const answer = await worker.result(got.step, { grads: [grad], lossSums: [2.5], counts: [5], computeMs: 3 });
    expect(sent(answer)).toHaveLength(2); // the gradient's frame first, then the signed result
    expect(decoded(sent(answer)[1])).toMatchObject({ t: 'result', grads: 1 });
    const actions = await deliver(coordinator, answer);
    expect(actions.map((a) => a.kind)).toEqual(['alive', 'gradient', 'alive', 'result']);
    const [gradient] = ofKind(actions, 'gradient');
    expect(gradient.index).toBe(0);
    readTensor(into, gradient.tensor);
    expect(into).toEqual(grad);
    expect(ofKind(actions, 'result')[0].result).toMatchObject({ step: 4, request: 1, lossSums: [2.5], grads: 1 });
    const again = await coordinator.sendStep({ ...step, weights: undefined });
    expect(decoded(onlySent(again))).toMatchObject({ request: 2 });
  });

  it('takes streamed gradients with heartbeats between them, and refuses a result that announces more than came', async () => {
    const { coordinator, worker } = await ready();
    const two = { ...step, shards: [step.shards[0], { offset: 5, count: 2 }] };
    const [got] = ofKind(await deliver(worker, await coordinator.sendStep(two)), 'step');
    const first = await deliver(coordinator, await worker.gradient(got.step, values(23)));
    expect(first.map((a) => a.kind)).toEqual(['alive', 'gradient']);
    const beat = await coordinator.receive(onlySent(await worker.send({ t: 'heartbeat', timeMs: 1 })));
    expect(beat).toEqual([{ kind: 'alive' }]);
    const rest = await deliver(
      coordinator,
      await worker.result(got.step, { grads: [values(23)], lossSums: [1, 1], counts: [5, 2], computeMs: 1 }),
    );
    expect(ofKind(rest, 'gradient').map((g) => g.index)).toEqual([1]);
    expect(ofKind(rest, 'result')[0].result.grads).toBe(2);

    const short = await ready();
    const [s] = ofKind(await deliver(short.worker, await short.coordinator.sendStep(two)), 'step');
    await deliver(short.coordinator, await short.worker.gradient(s.step, values(23)));
    const lying = await short.coordinator.receive(
      onlySent(
        await short.worker.send({
          t: 'result',
          step: 4,
          request: 1,
          version: 4,
          grads: 2,
          lossSums: [1, 1],
          counts: [5, 2],
          computeMs: 1,
        }),
      ),
    );
    expect(ofKind(lying, 'refused')[0].reason).toMatch(
      /^result 1 announces 2 gradients, but 1 gradient frames of request 1 came before it/,
    );
  });

  it('refuses a gradient frame of a request not in flight as STALE (4004)', async () => {
    const { coordinator, worker } = await ready();
    const [got] = ofKind(await deliver(worker, await coordinator.sendStep(step)), 'step');
    const frame = onlySent(await worker.gradient({ ...got.step, request: 7 }, values(23)));
    const stray = await coordinator.receive(frame);
    expect(ofKind(stray, 'refused')[0]).toMatchObject({ code: 'GS_ERR_PROTOCOL_STALE' });
    expect(ofKind(stray, 'refused')[0].reason).toBe('stale gradient frame of request 7 while request 1 is in flight');
    expect(closeOf(stray).code).toBe(4004);
  });

  it('refuses gradient frames swapped in flight: each carries the next number of the shared sequence', async () => {
    const { coordinator, worker } = await ready();
    const [got] = ofKind(
      await deliver(worker, await coordinator.sendStep({ ...step, shards: [step.shards[0], { offset: 5, count: 2 }] })),
      'step',
    );
    const [first, second] = sent(
      await worker.result(got.step, {
        grads: [values(23), values(23)],
        lossSums: [1, 1],
        counts: [5, 2],
        computeMs: 1,
      }),
    );
    const swapped = await coordinator.receive(second);
    expect(ofKind(swapped, 'refused')[0]).toMatchObject({ code: 'GS_ERR_AUTH' });
    expect(ofKind(swapped, 'refused')[0].reason).toMatch(/^tensor frame out of sequence/);
    expect(await coordinator.receive(first)).toEqual([]);
  });

  it('rejects a stale result (another request) with 4004 and a gradient more than asked with 4002 → CLOSED', async () => {
    const { coordinator, worker } = await ready();
    const [got] = ofKind(await deliver(worker, await coordinator.sendStep(step)), 'step');
    const stale = await deliver(
      coordinator,
      await worker.result({ ...got.step, request: 9 }, { grads: [], lossSums: [1], counts: [5], computeMs: 1 }),
    );
    expect(ofKind(stale, 'rejected')[0].error.message).toBe(
      'stale result for step 4 version 4 while step 4 version 4 was asked',
    );
    expect(closeOf(stale).code).toBe(4004);
    expect(coordinator.state).toBe(CoordinatorState.CLOSED);

    const other = await ready();
    const [s] = ofKind(await deliver(other.worker, await other.coordinator.sendStep(step)), 'step');
    const wrong = await deliver(
      other.coordinator,
      await other.worker.result(s.step, {
        grads: [values(23), values(23)],
        lossSums: [1, 1],
        counts: [3, 2],
        computeMs: 1,
      }),
    );
    expect(closeOf(wrong).code).toBe(4002);
  });

  it('admits a worker with the peer endpoint its ready message names', async () => {
    const pair = await joined();
    const admitted = await pair.coordinator.receive(onlySent(await pair.worker.ready({ port: 7744, host: 'w1.lan' })));
    expect(ofKind(admitted, 'admit')[0].peer).toEqual({ port: 7744, host: 'w1.lan' });
    const plain = await ready();
    expect(ofKind(plain.admitted, 'admit')[0].peer).toBeUndefined();
  });

  it('carries a chain role to the worker, and ignores the late answer to an abandoned request', async () => {
    const { coordinator, worker } = await ready();
    const chain = { round: 2, prev: 1, nextId: 5, next: 'ws://10.0.0.5:7000/', chunkFloats: 8 };
    const chainStep = { ...step, weights: undefined, chain };
    const [first] = ofKind(await worker.receive(onlySent(await coordinator.sendStep(chainStep))), 'step');
    expect(first.step.chain).toEqual(chain);
    await coordinator.abandon();
    const [second] = ofKind(await deliver(worker, await coordinator.sendStep(step)), 'step');
    const late = await coordinator.receive(
      onlySent(
        await worker.result(first.step, { grads: [], lossSums: [], counts: [], computeMs: 0, failed: 'cut', blame: 1 }),
      ),
    );
    expect(late.map((a) => a.kind)).toEqual(['alive']);
    const answer = await deliver(
      coordinator,
      await worker.result(second.step, { grads: [values(23)], lossSums: [1], counts: [5], computeMs: 1 }),
    );
    expect(answer.map((a) => a.kind)).toEqual(['alive', 'gradient', 'alive', 'result']);
  });

  it('reads and ignores the late gradient frames of an abandoned request: they reach no buffer', async () => {
    const { coordinator, worker } = await ready();
    const two = { ...step, shards: [step.shards[0], { offset: 5, count: 2 }] };
    const [first] = ofKind(await deliver(worker, await coordinator.sendStep(two)), 'step');
    const early = await deliver(coordinator, await worker.gradient(first.step, values(23)));
    expect(early.map((a) => a.kind)).toEqual(['alive', 'gradient']);
    const afterwards = await worker.gradient(first.step, values(23));
    await coordinator.abandon();
    expect((await deliver(coordinator, afterwards)).map((a) => a.kind)).toEqual(['alive']);
    const late = await deliver(
      coordinator,
      await worker.result(first.step, { grads: [], lossSums: [1, 1], counts: [5, 2], computeMs: 1 }),
    );
    expect(late.map((a) => a.kind)).toEqual(['alive']);
    const [second] = ofKind(await deliver(worker, await coordinator.sendStep({ ...step, weights: undefined })), 'step');
    const answer = await deliver(
      coordinator,
      await worker.result(second.step, { grads: [values(23)], lossSums: [1], counts: [5], computeMs: 1 }),
    );
    expect(answer.map((a) => a.kind)).toEqual(['alive', 'gradient', 'alive', 'result']);
  });

  it('refuses a NaN gradient with GS_ERR_PROTOCOL_NON_FINITE, a signed error and close 4003', async () => {
    const { coordinator, worker } = await ready();
    const [got] = ofKind(await deliver(worker, await coordinator.sendStep(step)), 'step');
    const g = new Float32Array(23);
    g[7] = Number.NaN;
    const actions = await deliver(
      coordinator,
      await worker.result(got.step, { grads: [g], lossSums: [1], counts: [5], computeMs: 1 }),
    );
    expect(ofKind(actions, 'refused')[0].reason).toMatch(/tensor frame 0 holds a non-finite value at float 7/);
    expect(closeOf(actions).code).toBe(4003);
    // The worker's session checks the error's signature and logs it.
    expect(ofKind(await worker.receive(sent(actions)[0]), 'log')[0].line).toMatch(
      /^coordinator reported GS_ERR_PROTOCOL_NON_FINITE/,
    );
  });

  it('turns leave into left and close 1000, an error into worker-error and close 1011', async () => {
    const a = await ready();
    const left = await a.coordinator.receive(onlySent(await a.worker.leave('worker stopped')));
    expect(left).toEqual([
      { kind: 'left', reason: 'worker stopped' },
      { kind: 'close', code: 1000, reason: 'bye' },
    ]);
    const b = await ready();
    const failed = await b.coordinator.receive(onlySent(await b.worker.fail('GS_ERR_THREAD_FAILED', 'boom')));
    expect(failed).toEqual([
      { kind: 'worker-error', code: 'GS_ERR_THREAD_FAILED', message: 'boom' },
      { kind: 'close', code: 1011, reason: 'worker error' },
    ]);
  });

  it('drops with the close code of the error table (step timeout 4006, silence 4007) and leaves with 1000', async () => {
    const a = await ready();
    expect(await a.coordinator.drop('GS_ERR_STEP_TIMEOUT', 'missed the step deadline of 10 ms')).toEqual([
      { kind: 'close', code: 4006, reason: 'missed the step deadline of 10 ms' },
    ]);
    expect(await a.coordinator.drop('GS_ERR_STEP_TIMEOUT', 'again')).toEqual([]);
    const b = await ready();
    expect((await b.coordinator.drop('GS_ERR_WORKER_LOST', 'é'.repeat(200)))[0]).toMatchObject({ code: 4007 });
    const c = await ready();
    const bye = await c.coordinator.leave('finished', 'run finished');
    expect(ofKind(await c.worker.receive(onlySent(bye)), 'finished')).toHaveLength(1);
    expect(ofKind(bye, 'close')[0]).toEqual({ kind: 'close', code: 1000, reason: 'run finished' });
  });

  it('signs heartbeats to a welcomed worker only', async () => {
    expect(await (await coordinatorSession()).heartbeat(5)).toEqual([]);
    const { coordinator, worker } = await ready();
    const answer = await worker.receive(onlySent(await coordinator.heartbeat(5)));
    expect(decoded(onlySent(answer))).toMatchObject({ t: 'heartbeat' });
    expect((await coordinator.receive(onlySent(answer))).map((a) => a.kind)).toEqual(['alive']);
  });
});
