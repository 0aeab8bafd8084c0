import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import {
  addressKey,
  ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  resolveConnectionLimits,
} from '../src/connection-limits.js';
import { fitConnectionLimits } from '../src/fd-limit.js';

/** A socket stand-in: emits 'close' when destroyed. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}
const socket = (): Duplex => new FakeSocket() as unknown as Duplex;
const fakeWs = (): WebSocket => ({}) as WebSocket;

describe('resolveConnectionLimits', () => {
  it('merges the defaults and freezes', () => {
    const o = resolveConnectionLimits({ maxUnauthenticated: 10 });
    expect(o).toEqual({ ...DEFAULT_CONNECTION_LIMITS, maxUnauthenticated: 10 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(resolveConnectionLimits({ handshakeTimeoutMs: Infinity }).handshakeTimeoutMs).toBe(Infinity);
  });

  it('refuses a value that is not a positive integer or Infinity', () => {
    expect(() => resolveConnectionLimits({ maxUnauthenticated: 0 })).toThrow(
      new RangeError('options.maxUnauthenticated must be a positive integer or Infinity, got 0'),
    );
    expect(() => resolveConnectionLimits({ handshakeTimeoutMs: 1.5 })).toThrow(RangeError);
    expect(() => resolveConnectionLimits({ maxUnauthenticatedPerAddress: '3' as unknown as number })).toThrow(
      new TypeError('options.maxUnauthenticatedPerAddress must be a number, got string'),
    );
  });
});

describe('addressKey', () => {
  it('counts IPv4 (also IPv4-mapped) by address and IPv6 by its /64', () => {
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('?');
  });
});

describe('ConnectionLimits', () => {
  it('refuses over the per-address cap and over the total cap, and counts a closed or admitted connection no more', () => {
    const lines: string[] = [];
    const limits = new ConnectionLimits(
      resolveConnectionLimits({ maxUnauthenticated: 3, maxUnauthenticatedPerAddress: 2, handshakeTimeoutMs: Infinity }),
      (l) => lines.push(l),
    );
    const a1 = socket();
    const a2 = socket();
    limits.track(a1, '10.0.0.1', '10.0.0.1:1');
    limits.track(a2, '10.0.0.1', '10.0.0.1:2');
    expect(limits.refusal('10.0.0.1')).toMatch(
      /^the coordinator is busy: 2 unauthenticated connections from 10\.0\.0\.1 are open/,
    );
    expect(limits.refusal('10.0.0.2')).toBeNull();
    const b1 = socket();
    limits.track(b1, '10.0.0.2', '10.0.0.2:1');
    expect(limits.unauthenticated).toBe(3);
    expect(limits.refusal('10.0.0.3')).toMatch(
      /^the coordinator is busy: 3 unauthenticated connections are open, the most the coordinator takes/,
    );
    a1.destroy();
    expect(limits.unauthenticated).toBe(2);
    expect(limits.refusal('10.0.0.1')).toBeNull();
    const ws = fakeWs();
    limits.attach(b1, ws);
    expect(limits.admit(ws)).toBe(true);
    expect(limits.admit(ws)).toBe(false);
    expect(limits.unauthenticated).toBe(1);
    b1.destroy(); // an admitted connection closing is not counted twice
    expect(limits.unauthenticated).toBe(1);
    // the first refusal was logged; the second came within the throttle window
    expect(lines).toEqual([
      'refused a connection from 10.0.0.1: 2 unauthenticated connections from 10.0.0.1 are open, the most from one address (--max-unauthenticated-per-address)',
    ]);
  });

  it('closes a connection that is still unauthenticated at the deadline with 4008, and spares an admitted one', async () => {
    const limits = new ConnectionLimits(resolveConnectionLimits({ handshakeTimeoutMs: 20 }));
    const closes: Array<[number, string]> = [];
    const late = {
      close: (code: number, reason: string) => closes.push([code, reason]),
      terminate: () => undefined,
    } as unknown as WebSocket;
    const admitted = {
      close: () => closes.push([0, 'admitted one closed']),
      terminate: () => undefined,
    } as unknown as WebSocket;
    const s1 = socket();
    const s2 = socket();
    limits.track(s1, 'a', 'a:1');
    limits.attach(s1, late);
    limits.track(s2, 'a', 'a:2');
    limits.attach(s2, admitted);
    limits.admit(admitted);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closes).toEqual([[4008, 'not authenticated within 20 ms']]);
    expect(limits.unauthenticated).toBe(0);
  });

  it('destroys the socket at the deadline when no WebSocket was made on it', async () => {
    const limits = new ConnectionLimits(resolveConnectionLimits({ handshakeTimeoutMs: 10 }));
    const s = new FakeSocket();
    limits.track(s as unknown as Duplex, 'a', 'a:1');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(s.destroyed).toBe(true);
  });
});

describe('fitConnectionLimits', () => {
  it('keeps the defaults under a roomy open-file limit', () => {
    expect(fitConnectionLimits({}, { soft: 20_000, hard: 20_000 })).toEqual({
      options: DEFAULT_CONNECTION_LIMITS,
      warning: null,
    });
    expect(fitConnectionLimits({}, null).options).toEqual(DEFAULT_CONNECTION_LIMITS);
  });

  it('lowers the default caps to a quarter of a low limit and says so', () => {
    const { options, warning } = fitConnectionLimits({}, { soft: 256, hard: 256 });
    expect(options).toMatchObject({ maxUnauthenticated: 64, maxUnauthenticatedPerAddress: 32 });
    expect(warning).toBe(
      'the open-file limit is 256 (hard 256), so at most 64 unauthenticated connections are taken at once, not 256 - help: raise the hard limit (ulimit -Hn as root, or LimitNOFILE= in a systemd unit)',
    );
    expect(fitConnectionLimits({}, { soft: 64, hard: 64 }).options).toMatchObject({
      maxUnauthenticated: 16,
      maxUnauthenticatedPerAddress: 16,
    });
  });

  it('takes caps that were given as given', () => {
    expect(
      fitConnectionLimits({ maxUnauthenticated: 500, maxUnauthenticatedPerAddress: 100 }, { soft: 256, hard: 256 }),
    ).toEqual({
      options: { ...DEFAULT_CONNECTION_LIMITS, maxUnauthenticated: 500, maxUnauthenticatedPerAddress: 100 },
      warning: null,
    });
  });
});
