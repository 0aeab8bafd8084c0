import { Packr, Unpackr } from 'msgpackr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeMessage,
  DEFAULT_PROTOCOL_LIMITS,
  encodeMessage,
  ProtocolError,
  ProtocolErrorCode as Code,
  resolveProtocolLimits,
  type ProtocolLimits,
} from '../src/index.js';
import { expectProtocolError } from './fixtures/assert.js';
import { LIMITS, P, pack, validMessages, validResult, validStep } from './fixtures/messages.js';

/** A small seeded generator (mulberry32), so fuzz inputs are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

/** The error decoding `bytes` throws, or undefined if it decodes. */
function decodeError(bytes: Uint8Array, limits: ProtocolLimits = LIMITS): unknown {
  try {
    decodeMessage(bytes, limits, { parameterCount: P });
    return undefined;
  } catch (err) {
    return err;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('decodeMessage', () => {
  describe('oversize input', () => {
    it('refuses a message larger than maxPayloadBytes as TOO_BIG (1009) without decoding it', () => {
      const unpack = vi.spyOn(Unpackr.prototype, 'unpack');
      const limits = resolveProtocolLimits({ maxPayloadBytes: 1000 });
      const garbage = new Uint8Array(1001).fill(0xc1); // not msgpack at all
      const err = expectProtocolError(() => decodeMessage(garbage, limits), Code.TOO_BIG);
      expect(err.message).toBe('message of 1001 bytes is larger than the limit of 1000 bytes (maxPayloadBytes)');
      expect(unpack).not.toHaveBeenCalled();
    });

    it('refuses a huge buffer of garbage as TOO_BIG, not MALFORMED', () => {
      const huge = new Uint8Array(DEFAULT_PROTOCOL_LIMITS.maxPayloadBytes + 1).fill(0xff);
      expectProtocolError(() => decodeMessage(huge, DEFAULT_PROTOCOL_LIMITS), Code.TOO_BIG);
    });

    it('accepts a message of exactly maxPayloadBytes', () => {
      const bytes = encodeMessage(validStep());
      const limits = resolveProtocolLimits({ maxPayloadBytes: bytes.length });
      expect(decodeMessage(bytes, limits).t).toBe('step');
      expectProtocolError(
        () => decodeMessage(bytes, resolveProtocolLimits({ maxPayloadBytes: bytes.length - 1 })),
        Code.TOO_BIG,
      );
    });
  });

  describe('truncated input', () => {
    it.each([
      ['step', () => encodeMessage(validStep())],
      ['result', () => encodeMessage(validResult())],
      ['welcome', () => encodeMessage(validMessages().welcome)],
    ])('refuses every truncation of a %s message as MALFORMED (1002)', (_name, make) => {
      const bytes = make();
      for (let end = 0; end < bytes.length; end++) {
        const err = decodeError(bytes.slice(0, end));
        expect(err, `prefix of ${end} bytes`).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code, `prefix of ${end} bytes`).toBe(Code.MALFORMED);
        expect((err as ProtocolError).closeCode).toBe(1002);
      }
      expect(decodeError(bytes)).toBeUndefined();
    });

    it('says that a message ended early', () => {
      const bytes = encodeMessage(validResult());
      const err = expectProtocolError(() => decodeMessage(bytes.subarray(0, 40), LIMITS), Code.MALFORMED);
      expect(err.message).toBe('message of 40 bytes is not valid msgpack: truncated at byte 40 (msgpack ended early)');
    });
  });

  describe('garbage', () => {
    it('refuses random bytes as MALFORMED', () => {
      const next = random(1);
      let malformed = 0;
      for (let i = 0; i < 3000; i++) {
        const err = decodeError(randomBytes(next, 1 + Math.floor(next() * 200)));
        expect(err).toBeInstanceOf(ProtocolError);
        if ((err as ProtocolError).code === Code.MALFORMED) malformed++;
        else expect((err as ProtocolError).code).toBe(Code.INVALID); // e.g. 0x80: an empty map, valid msgpack
      }
      expect(malformed).toBeGreaterThan(2900);
    });

    it('refuses random bytes after a map header as MALFORMED or INVALID, never anything else', () => {
      const next = random(2);
      for (let i = 0; i < 3000; i++) {
        const bytes = randomBytes(next, 2 + Math.floor(next() * 100));
        bytes[0] = 0x80 + Math.floor(next() * 16);
        const err = decodeError(bytes);
        expect(err).toBeInstanceOf(ProtocolError);
        expect([Code.MALFORMED, Code.INVALID]).toContain((err as ProtocolError).code);
      }
    });

    it('survives valid messages with random bytes flipped: a ProtocolError or a valid message', () => {
      const next = random(3);
      const originals = [
        encodeMessage(validStep()),
        encodeMessage(validResult()),
        encodeMessage(validMessages().welcome),
      ];
      for (let i = 0; i < 3000; i++) {
        const bytes = originals[i % 3].slice();
        for (let k = 0; k < 1 + (i % 4); k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
        const err = decodeError(bytes);
        if (err !== undefined) expect(err).toBeInstanceOf(ProtocolError);
      }
    });
  });

  describe('msgpack outside the wire subset', () => {
    it('refuses a msgpackr extension (a Date in a field) as MALFORMED before msgpackr decodes it', () => {
      const unpack = vi.spyOn(Unpackr.prototype, 'unpack');
      const withDate = new Packr({ useRecords: false }).pack({ t: 'heartbeat', timeMs: new Date(0) });
      expectProtocolError(() => decodeMessage(Uint8Array.from(withDate), LIMITS), Code.MALFORMED);
      expect(unpack).not.toHaveBeenCalled();
    });
  });

  describe('values that are not maps', () => {
    // Documented choice: a message is a map by definition, so any other msgpack value is
    // MALFORMED (1002), not INVALID, and is refused by its first byte.
    it.each([
      ['an array', [1, 2, 3]],
      ['a number', 42],
      ['a string', 'hello'],
      ['nil', null],
      ['bytes', new Uint8Array(4)],
    ])('refuses %s as MALFORMED', (_name, value) => {
      const err = expectProtocolError(() => decodeMessage(pack(value), LIMITS), Code.MALFORMED);
      expect(err.message).toMatch(/must be a msgpack map, but its first byte is 0x[0-9a-f]{2}$/);
    });

    it('refuses an empty message as MALFORMED', () => {
      expectProtocolError(() => decodeMessage(new Uint8Array(0), LIMITS), Code.MALFORMED);
    });
  });

  describe('caller errors', () => {
    it('throws TypeError for input that is not a Uint8Array, or limits that are not limits', () => {
      expect(() => decodeMessage('x' as unknown as Uint8Array, LIMITS)).toThrow(TypeError);
      expect(() => decodeMessage(encodeMessage(validStep()), {} as ProtocolLimits)).toThrow(TypeError);
    });
  });
});
