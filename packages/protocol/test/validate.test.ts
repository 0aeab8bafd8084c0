import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  ProtocolErrorCode as Code,
  resolveProtocolLimits,
  validateMessage,
  type HelloMessage,
  type Message,
  type ProtocolLimits,
  type WelcomeMessage,
} from '../src/index.js';
import { expectProtocolError } from './fixtures/assert.js';
import {
  FP,
  LIMITS,
  P,
  filled,
  floats,
  pack,
  packWith,
  validMessages,
  validResult,
  validStep,
} from './fixtures/messages.js';

const ctx = { parameterCount: P };
const decode = (b: Uint8Array, limits: ProtocolLimits = LIMITS) => decodeMessage(b, limits, ctx);
const valid = validMessages();

describe('validateMessage', () => {
  describe('type tag', () => {
    it('refuses an unknown type tag as INVALID (4002)', () => {
      const err = expectProtocolError(() => decode(packWith(valid.step, { t: 'stepp' })), Code.INVALID);
      expect(err.message).toContain('"stepp"');
    });

    it('refuses a message without t, or with a non-string t', () => {
      expectProtocolError(() => decode(packWith(valid.ready, { t: undefined })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.ready, { t: 7 })), Code.INVALID);
    });

    it('refuses a type not allowed in the current state as UNEXPECTED (4005)', () => {
      const err = expectProtocolError(
        () => decodeMessage(encodeMessage(validStep()), LIMITS, { allowed: ['welcome', 'error'] }),
        Code.UNEXPECTED,
      );
      expect(err.message).toBe("unexpected 'step' message here; expected 'welcome' or 'error'");
    });

    it('accepts a type that is allowed', () => {
      expect(decodeMessage(encodeMessage(valid.hello), LIMITS, { allowed: ['hello'] })).toStrictEqual(valid.hello);
    });
  });

  describe('hello', () => {
    it('refuses version 2 as VERSION (4001) naming both versions, even when other fields are wrong too', () => {
      const bytes = pack({ t: 'hello', version: 2, threads: -1, backend: 7 });
      const err = expectProtocolError(() => decode(bytes), Code.VERSION);
      expect(err.message).toContain('the peer speaks version 2');
      expect(err.message).toContain('this side speaks version 4');
      expect(err.message).toContain('upgrade the older side');
    });

    it('refuses version 3 (gradients after the result, not streamed before it) as VERSION (4001)', () => {
      const err = expectProtocolError(() => decode(pack({ ...valid.hello, version: 3 })), Code.VERSION);
      expect(err.message).toMatch(/^protocol version mismatch: the peer speaks version 3, this side speaks version 4/);
    });

    it('refuses version 0 as VERSION, and version 1 (before the handshake was bound to the connection)', () => {
      expectProtocolError(() => decode(packWith(valid.hello, { version: 0 })), Code.VERSION);
      expectProtocolError(() => decode(packWith(valid.hello, { version: 1 })), Code.VERSION);
    });

    it('refuses a version that is not an integer as INVALID', () => {
      expectProtocolError(() => decode(packWith(valid.hello, { version: '1' })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.hello, { version: undefined })), Code.INVALID);
    });

    it('takes an optional agent (node or browser) and refuses any other', () => {
      expect((decode(packWith(valid.hello, { agent: 'browser' })) as HelloMessage).agent).toBe('browser');
      expect(decode(packWith(valid.hello, {}))).not.toHaveProperty('agent');
      for (const agent of ['Browser', 'deno', 1, ''])
        expectProtocolError(() => decode(packWith(valid.hello, { agent })), Code.INVALID);
    });

    it('takes an optional worldSize (launch) and refuses one that is not a positive integer', () => {
      expect((decode(packWith(valid.hello, { worldSize: 3 })) as HelloMessage).worldSize).toBe(3);
      expect(decode(packWith(valid.hello, {}))).not.toHaveProperty('worldSize');
      for (const worldSize of [0, -1, 2.5, '3', 1_000_001])
        expectProtocolError(() => decode(packWith(valid.hello, { worldSize })), Code.INVALID);
    });

    it('refuses a wrongly typed field, zero threads and an overlong label', () => {
      expectProtocolError(() => decode(packWith(valid.hello, { threads: '4' })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.hello, { threads: 0 })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.hello, { backend: '' })), Code.INVALID);
      const small = resolveProtocolLimits({ maxLabelLength: 12 });
      expectProtocolError(() => decode(packWith(valid.hello, { label: 'x'.repeat(13) }), small), Code.INVALID);
      expect((decode(packWith(valid.hello, { label: 'x'.repeat(12) }), small) as HelloMessage).label).toBe(
        'x'.repeat(12),
      );
    });
  });

  describe('fields', () => {
    it('names a missing field', () => {
      const err = expectProtocolError(() => decode(packWith(valid.step, { shards: undefined })), Code.INVALID);
      expect(err.message).toBe('step.shards is missing (must be an array of 1–1024 elements)');
    });

    it('refuses a negative, zero or fractional count and says what it got', () => {
      const err = expectProtocolError(
        () => decode(packWith(valid.step, { shards: [{ offset: 0, count: -1 }] })),
        Code.INVALID,
      );
      expect(err.message).toBe(`step.shards[0].count must be an integer in [1, ${Number.MAX_SAFE_INTEGER}], got -1`);
      expectProtocolError(() => decode(packWith(valid.step, { shards: [{ offset: 0, count: 0 }] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.step, { epoch: 1.5 })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.step, { batch: -2 })), Code.INVALID);
    });

    it('refuses a 31- or 33-byte nonce and a nonce sent as an array of numbers', () => {
      const err = expectProtocolError(() => decode(pack({ t: 'challenge', nonce: filled(31, 1) })), Code.INVALID);
      expect(err.message).toBe('challenge.nonce must be exactly 32 bytes, got 31 bytes');
      expectProtocolError(() => decode(pack({ t: 'challenge', nonce: filled(33, 1) })), Code.INVALID);
      expectProtocolError(() => decode(pack({ t: 'challenge', nonce: [...filled(32, 1)] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.auth, { mac: filled(31, 0) })), Code.INVALID);
    });

    it('reads a uint64 that fits as a number, and refuses one past 2^53 instead of making a bigint', () => {
      // Hand-built: {t: "heartbeat", timeMs: uint64 2^40}, then 2^53 + 2.
      const head = [0x82, 0xa1, 0x74, 0xa9, ...Buffer.from('heartbeat'), 0xa6, ...Buffer.from('timeMs'), 0xcf];
      const ok = Uint8Array.from([...head, 0, 0, 0x01, 0, 0, 0, 0, 0]);
      expect(decode(ok)).toStrictEqual({ t: 'heartbeat', timeMs: 2 ** 40 });
      const big = Uint8Array.from([...head, 0, 0x20, 0, 0, 0, 0, 0, 0x02]);
      expect(decode(big)).toStrictEqual({ t: 'heartbeat', timeMs: 2 ** 53 + 2 }); // a float field: any finite number
      const stepBytes = packWith(valid.step, { epoch: 2 ** 53 + 2 });
      expectProtocolError(() => decode(stepBytes), Code.INVALID);
    });

    it('ignores unknown extra fields and returns only the known ones', () => {
      const withProto = Object.assign(JSON.parse('{"__proto__": {"t": "step"}}') as object, valid.ready, {
        extra: 1,
        constructor: 'x',
      });
      const decoded = decode(pack(withProto));
      expect(decoded).toStrictEqual(valid.ready);
      expect(Object.keys(decoded)).toEqual(['t', 'fingerprint']);
    });

    it('refuses a bad fingerprint: uppercase, too short, not a string', () => {
      for (const fingerprint of [FP.toUpperCase(), FP.slice(1), 42]) {
        const err = expectProtocolError(() => decode(packWith(valid.ready, { fingerprint })), Code.INVALID);
        expect(err.message).toContain('ready.fingerprint must be 64 lowercase hex characters');
      }
    });

    it('refuses a value of a non-map, non-msgpack kind as MALFORMED when validated directly', () => {
      for (const value of [5, 'hello', [1, 2], null, new Uint8Array(2)]) {
        expectProtocolError(() => validateMessage(value, LIMITS), Code.MALFORMED);
      }
    });
  });

  describe('step', () => {
    it('refuses weights inside the message (version 2): they follow as a tensor frame', () => {
      const err = expectProtocolError(() => decode(packWith(valid.step, { weights: floats(P) })), Code.INVALID);
      expect(err.message).toMatch(/^step\.weights must be a boolean/);
    });

    it("refuses a result precision other than 'bf16'", () => {
      expect(decode(packWith(valid.step, { resultPrecision: 'bf16' }))).toMatchObject({ resultPrecision: 'bf16' });
      expectProtocolError(() => decode(packWith(valid.step, { resultPrecision: 'f16' })), Code.INVALID);
    });

    it('refuses more shards than maxShardsPerStep, and no shards at all', () => {
      const limits = resolveProtocolLimits({ maxShardsPerStep: 2 });
      const three = [0, 1, 2].map((i) => ({ offset: i, count: 1 }));
      expectProtocolError(() => decode(packWith(valid.step, { shards: three }), limits), Code.INVALID);
      expect(decode(packWith(valid.step, { shards: three.slice(0, 2) }), limits).t).toBe('step');
      expectProtocolError(() => decode(packWith(valid.step, { shards: [] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid.step, { shards: [5] })), Code.INVALID);
    });

    it("refuses a reduce mode other than 'each' or 'sum'", () => {
      expectProtocolError(() => decode(packWith(valid.step, { reduce: 'mean' })), Code.INVALID);
    });

    it('takes a wss:// successor with the SHA-256 its certificate must have, and refuses a pin without wss:// or wss:// without a pin', () => {
      const pin = 'ab'.repeat(32);
      const role = { round: 2, prev: -1, nextId: 4, next: 'wss://10.0.0.2:7001/', chunkFloats: 16 };
      const m = decode(packWith(valid.step, { chain: { ...role, nextFingerprint: pin } }));
      expect(m.t === 'step' && m.chain?.nextFingerprint).toBe(pin);
      const unpinned = () => decode(packWith(valid.step, { chain: role }));
      expect(expectProtocolError(unpinned, Code.INVALID).message).toMatch(
        /^step\.chain\.nextFingerprint is missing \(must be a certificate SHA-256/,
      );
      const plain = { ...role, next: 'ws://10.0.0.2:7001/', nextFingerprint: pin };
      expectProtocolError(() => decode(packWith(valid.step, { chain: plain })), Code.INVALID);
      const upper = { ...role, nextFingerprint: pin.toUpperCase() };
      expectProtocolError(() => decode(packWith(valid.step, { chain: upper })), Code.INVALID);
    });
  });

  describe('chain result', () => {
    const stats = { grads: 0, lossSums: [1.5], counts: [4] };
    it("carries the worker's peer-link bytes of the step, and refuses a negative or fractional count", () => {
      const m = decode(packWith(valid.result, { ...stats, peerSentBytes: 9704, peerReceivedBytes: 4852 }));
      expect(m.t === 'result' && [m.peerSentBytes, m.peerReceivedBytes]).toEqual([9704, 4852]);
      for (const bad of [-1, 1.5, '9704'])
        expectProtocolError(() => decode(packWith(valid.result, { ...stats, peerSentBytes: bad })), Code.INVALID);
    });
  });

  describe('failed chain result', () => {
    const failed = { grads: 0, lossSums: [], counts: [], failed: 'cannot open the chain link', blame: 2 };
    it('carries whether the blamed successor could not be reached at all, and refuses a non-boolean', () => {
      const m = decode(packWith(valid.result, { ...failed, unreachable: true }));
      expect(m.t === 'result' && m.unreachable).toBe(true);
      const plain = decode(packWith(valid.result, failed));
      expect(plain.t === 'result' && 'unreachable' in plain).toBe(false);
      expectProtocolError(() => decode(packWith(valid.result, { ...failed, unreachable: 1 })), Code.INVALID);
    });
  });

  describe('ready', () => {
    it("takes the peer endpoint's certificate SHA-256 and refuses one that is not 64 lowercase hex digits", () => {
      const pin = '0f'.repeat(32);
      const m = decode(packWith(valid.ready, { peerPort: 7001, peerFingerprint: pin }));
      expect(m.t === 'ready' && m.peerFingerprint).toBe(pin);
      for (const bad of ['0f'.repeat(31), 'zz'.repeat(32), 7])
        expectProtocolError(
          () => decode(packWith(valid.ready, { peerPort: 7001, peerFingerprint: bad })),
          Code.INVALID,
        );
    });
  });

  describe('result', () => {
    it('refuses gradients inside the message (version 2), and more than maxShardsPerStep of them', () => {
      const err = expectProtocolError(() => decode(packWith(validResult(), { grads: [floats(P)] })), Code.INVALID);
      expect(err.message).toMatch(/^result\.grads must be/);
      const limits = resolveProtocolLimits({ maxShardsPerStep: 1 });
      expectProtocolError(() => decode(packWith(validResult(), { grads: 2 }), limits), Code.INVALID);
    });

    it('refuses a NaN or infinite loss sum as NON_FINITE, and a non-number one as INVALID', () => {
      expectProtocolError(() => decode(packWith(validResult(), { lossSums: [1, NaN] })), Code.NON_FINITE);
      expectProtocolError(() => decode(packWith(validResult(), { lossSums: [Infinity, 1] })), Code.NON_FINITE);
      expectProtocolError(() => decode(packWith(validResult(), { lossSums: [1, '2'] })), Code.INVALID);
    });

    it('refuses lossSums or counts that do not match the gradients one to one', () => {
      expectProtocolError(() => decode(packWith(validResult(), { lossSums: [1] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(validResult(), { counts: [1, 2, 3] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(validResult(), { grads: 0, lossSums: [], counts: [] })), Code.INVALID);
    });

    it('refuses a zero count and a negative or NaN compute time', () => {
      expectProtocolError(() => decode(packWith(validResult(), { counts: [5, 0] })), Code.INVALID);
      expectProtocolError(() => decode(packWith(validResult(), { computeMs: -1 })), Code.INVALID);
      expectProtocolError(() => decode(packWith(validResult(), { computeMs: NaN })), Code.INVALID);
    });
  });

  describe('welcome', () => {
    const welcome = valid.welcome as WelcomeMessage;
    const withSpec = (spec: object) => packWith(welcome, { spec: { ...welcome.spec, ...spec } });

    it('refuses a spec with a zero or oversized layer, too few layers, or an unknown activation', () => {
      for (const spec of [
        { layers: [4, 0, 2] },
        { layers: [4, 70000, 2] },
        { layers: [4] },
        { hidden: 'gelu' },
        { layers: 'x' },
      ]) {
        expectProtocolError(() => decode(withSpec(spec)), Code.INVALID);
      }
    });

    it("refuses a spec whose output and loss do not go together (core's rule)", () => {
      const err = expectProtocolError(() => decode(withSpec({ output: 'identity', loss: 'ce' })), Code.INVALID);
      expect(err.message).toMatch(/^welcome.spec is not a valid model spec: /);
    });

    it('refuses an input layer that does not match the data set, and a dataset.bytes that does not fit its shape', () => {
      expectProtocolError(() => decode(withSpec({ layers: [5, 3, 2] })), Code.INVALID);
      const dataset = { ...welcome.dataset, bytes: welcome.dataset.bytes + 4 };
      expectProtocolError(() => decode(packWith(welcome, { dataset })), Code.INVALID);
    });

    it('refuses a chunk size above maxChunkBytes, and a config of the wrong shape', () => {
      const limits = resolveProtocolLimits({ maxChunkBytes: 1000 });
      expectProtocolError(() => decode(encodeMessage(welcome), limits), Code.INVALID);
      expectProtocolError(
        () => decode(packWith(welcome, { config: { seed: 1, shuffle: 'yes', blockRows: 8 } })),
        Code.INVALID,
      );
      expectProtocolError(() => decode(packWith(welcome, { config: [1, true, 8] })), Code.INVALID);
    });

    it('returns the spec as core validated it', () => {
      const decoded = decode(encodeMessage(welcome)) as WelcomeMessage;
      expect(Object.isFrozen(decoded.spec)).toBe(true);
    });
  });

  describe('data transfer', () => {
    it('refuses a data chunk above maxChunkBytes, and an empty one', () => {
      const limits = resolveProtocolLimits({ maxChunkBytes: 100 });
      expectProtocolError(() => decode(packWith(valid['data-chunk'], { bytes: filled(101, 0) }), limits), Code.INVALID);
      expectProtocolError(() => decode(packWith(valid['data-chunk'], { bytes: filled(0, 0) })), Code.INVALID);
      expect(decode(packWith(valid['data-chunk'], { bytes: filled(100, 0) }), limits).t).toBe('data-chunk');
    });

    it('refuses a data request of zero bytes or more than maxChunkBytes', () => {
      expectProtocolError(() => decode(packWith(valid['data-request'], { length: 0 })), Code.INVALID);
      expectProtocolError(
        () => decode(packWith(valid['data-request'], { length: LIMITS.maxChunkBytes + 1 })),
        Code.INVALID,
      );
    });
  });

  describe('context', () => {
    it('refuses a parameterCount that is not a positive integer (a caller bug) with RangeError', () => {
      expect(() => validateMessage(valid.ready, LIMITS, { parameterCount: 0 })).toThrow(RangeError);
    });

    it('refuses missing limits with TypeError, so {} never means "no limit"', () => {
      expect(() => validateMessage(valid.ready, {} as ProtocolLimits)).toThrow(TypeError);
    });

    it('validates an already decoded value the same way decodeMessage does', () => {
      const msg: Message = validStep();
      expect(validateMessage({ ...msg, extra: true }, LIMITS, ctx)).toStrictEqual(msg);
    });
  });
});
