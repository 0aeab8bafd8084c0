import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCode as Code } from '../src/index.js';
import { MAX_NESTING, scanMessage } from '../src/msgpack-scan.js';
import { expectProtocolError } from './fixtures/assert.js';
import { pack } from './fixtures/messages.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('scanMessage', () => {
  it('accepts every msgpack type the wire uses', () => {
    const all = {
      nil: null,
      bools: [true, false],
      ints: [0, 127, -32, -33, 255, 65535, 2 ** 32 - 1, 2 ** 40, -(2 ** 31), -(2 ** 40)],
      floats: [0.5, -1e300],
      strs: ['', 'x'.repeat(31), 'y'.repeat(300), 'z'.repeat(70000)],
      bins: [new Uint8Array(3), new Uint8Array(300), new Uint8Array(70000)],
      nested: { a: [{ b: [1] }], empty: [], emptyMap: {} },
      many: Array.from({ length: 70000 }, (_, i) => i % 100),
    };
    expect(() => scanMessage(pack(all))).not.toThrow();
    expect(() => scanMessage(bytes(0x80))).not.toThrow(); // {}
    expect(() => scanMessage(bytes(0xde, 0, 1, 0xa1, 0x74, 0xc0))).not.toThrow(); // map16 {t: nil}
  });

  it('refuses msgpack extensions, whatever they hold', () => {
    const withExt = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });
    for (const value of [new Date(0), new Set([1]), new Float32Array(2), new Error('x'), /re/]) {
      const err = expectProtocolError(() => scanMessage(Uint8Array.from(withExt.pack({ v: value }))), Code.MALFORMED);
      expect(err.message).toMatch(
        /msgpack type 0x(c7|c8|c9|d4|d5|d6|d7|d8) is not allowed on the wire \(no extensions\)/,
      );
    }
    expectProtocolError(() => scanMessage(bytes(0x81, 0xa1, 0x74, 0xc1)), Code.MALFORMED); // 0xc1, never used
  });

  it('refuses a bundled-strings bomb in linear time', () => {
    // map{"a": [n × (fixext4 0x62 → a long string at the end, then 1)]}: msgpackr itself would
    // decode the long string once per extension.
    const n = 20000;
    const strLen = 1 << 20;
    const b = new Uint8Array(8 + 7 * n + 5 + strLen);
    b.set([0x81, 0xa1, 0x61, 0xdd, 0, 0, n >> 8, n & 0xff]);
    for (let i = 0; i < n; i++) b.set([0xd6, 0x62, 0, 0, 0, 0, 0x01], 8 + 7 * i);
    b.set([0xdb, 0, 0x10, 0, 0], 8 + 7 * n);
    expectProtocolError(() => scanMessage(b), Code.MALFORMED);
  });

  it('refuses map keys that are not strings', () => {
    const err = expectProtocolError(() => scanMessage(bytes(0x81, 0x01, 0x02)), Code.MALFORMED);
    expect(err.message).toContain('byte 1: map keys must be strings');
    expectProtocolError(() => scanMessage(bytes(0x81, 0x90, 0x02)), Code.MALFORMED); // [] as a key
  });

  it(`refuses nesting deeper than ${MAX_NESTING}`, () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    expect(() => scanMessage(pack({ a: nest(MAX_NESTING - 1) }))).not.toThrow();
    expectProtocolError(() => scanMessage(pack({ a: nest(MAX_NESTING) })), Code.MALFORMED);
    const deep = new Uint8Array(100_000).fill(0x91); // [[[[…
    deep.set([0x81, 0xa1, 0x61]);
    expectProtocolError(() => scanMessage(deep), Code.MALFORMED);
  });

  it('refuses declared lengths the bytes cannot hold before reading them', () => {
    expectProtocolError(() => scanMessage(bytes(0x81, 0xa1, 0x61, 0xc6, 0xff, 0xff, 0xff, 0xff, 0)), Code.MALFORMED); // bin32 of 4 GiB
    expectProtocolError(() => scanMessage(bytes(0xdf, 0xff, 0xff, 0xff, 0xff, 0xa0, 0xc0)), Code.MALFORMED); // map32 of 2^32 − 1
    expectProtocolError(() => scanMessage(bytes(0x81, 0xa1, 0x61, 0xdd, 0, 1, 0, 0, 1, 2)), Code.MALFORMED); // array32 of 65536
  });

  it('refuses bytes after the end of the map', () => {
    const err = expectProtocolError(() => scanMessage(bytes(0x80, 0x00)), Code.MALFORMED);
    expect(err.message).toContain('1 bytes after the end of the message');
  });
});
