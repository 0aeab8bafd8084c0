import { describe, expect, it } from 'vitest';
import {
  bytesToFloat32,
  decodeMessage,
  encodeMessage,
  MESSAGE_TYPES,
  type DataChunkMessage,
  type Message,
  type ResultMessage,
  type StepMessage,
} from '../src/index.js';
import { floats, LIMITS, P, validMessages, validResult, validStep } from './fixtures/messages.js';

const decode = (b: Uint8Array): Message => decodeMessage(b, LIMITS, { parameterCount: P });

describe('encodeMessage', () => {
  it.each(MESSAGE_TYPES)('round-trips a valid %s message through encode and decode', (type) => {
    const msg = validMessages()[type];
    expect(decode(encodeMessage(msg))).toStrictEqual(msg);
  });

  it('round-trips every message without knowing the parameter count', () => {
    for (const msg of Object.values(validMessages())) {
      expect(decodeMessage(encodeMessage(msg), LIMITS)).toStrictEqual(msg);
    }
  });

  it('writes a msgpack map whose first key is the type tag t', () => {
    const bytes = encodeMessage({ t: 'ready', fingerprint: 'ab'.repeat(32) });
    expect(bytes[0]).toBe(0x82); // fixmap of 2 entries
    expect([...bytes.subarray(1, 4)]).toEqual([0xa1, 0x74, 0xa5]); // "t", then a 5-character str
  });

  it('returns a plain Uint8Array, not a Buffer', () => {
    const bytes = encodeMessage(validMessages().heartbeat);
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
  });

  it('writes binary fields as msgpack bin, never as arrays of numbers', () => {
    const nonce = Uint8Array.from({ length: 32 }, (_, i) => i);
    const bytes = encodeMessage({ t: 'challenge', nonce, coordinatorId: new Uint8Array(16) });
    const at = bytes.indexOf(0xc4); // bin 8
    expect(at).toBeGreaterThan(0);
    expect(bytes[at + 1]).toBe(32);
    expect([...bytes.subarray(at + 2, at + 34)]).toEqual([...nonce]);
    const id = bytes.indexOf(0xc4, at + 34); // the coordinatorId, also bin 8
    expect(bytes[id + 1]).toBe(16);
    expect(bytes.length).toBe(id + 18);
  });

  it('writes a large data chunk as one bin 32 field', () => {
    const chunk = new Uint8Array(4 * 100_000);
    const bytes = encodeMessage({ t: 'data-chunk', fingerprint: 'ab'.repeat(32), offset: 0, bytes: chunk });
    const header = [0xc6, 0x00, 0x06, 0x1a, 0x80]; // bin 32, length 400 000
    const at = bytes.findIndex((_, i) => header.every((h, k) => bytes[i + k] === h));
    expect(at).toBeGreaterThan(0);
  });

  it('leaves out a step weights field that is undefined', () => {
    const { weights: _weights, ...rest } = validStep();
    for (const msg of [rest as StepMessage, { ...validStep(), weights: undefined }]) {
      const decoded = decode(encodeMessage(msg)) as StepMessage;
      expect('weights' in decoded).toBe(false);
      expect(decoded).toStrictEqual(rest);
    }
  });

  it('keeps loss sums exactly (float64, never float32)', () => {
    const lossSums = [0.1, 1 / 3];
    const decoded = decode(encodeMessage({ ...validResult(), lossSums })) as ResultMessage;
    expect(decoded.lossSums).toEqual(lossSums);
  });
});

describe('decoded binary fields', () => {
  it('are plain Uint8Arrays that own their memory', () => {
    const chunk = { t: 'data-chunk', fingerprint: 'ab'.repeat(32), offset: 0, bytes: floats(P) } as const;
    const input = Buffer.from(encodeMessage(chunk));
    const decoded = decodeMessage(input, LIMITS) as DataChunkMessage;
    expect(Object.getPrototypeOf(decoded.bytes)).toBe(Uint8Array.prototype);
    expect(decoded.bytes.buffer).not.toBe(input.buffer);
    const before = decoded.bytes.slice();
    input.fill(0);
    expect(decoded.bytes).toEqual(before);
  });

  it('give float32 views with the values that were sent, from any input offset', () => {
    const sent = Float32Array.from({ length: P }, (_, i) => Math.fround(i * 0.37 - 3));
    const msg = {
      t: 'data-chunk',
      fingerprint: 'ab'.repeat(32),
      offset: 0,
      bytes: new Uint8Array(sent.buffer),
    } as const;
    const bytes = encodeMessage(msg);
    for (const offset of [0, 1, 2, 3]) {
      const framed = new Uint8Array(bytes.length + offset);
      framed.set(bytes, offset);
      const decoded = decodeMessage(framed.subarray(offset), LIMITS, { parameterCount: P }) as DataChunkMessage;
      const view = bytesToFloat32(decoded.bytes);
      expect(view.buffer).toBe(decoded.bytes.buffer); // aligned, so a view, not a copy
      expect(view).toEqual(sent);
    }
  });
});
