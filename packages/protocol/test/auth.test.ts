import { describe, expect, it } from 'vitest';
import { authMac, createNonce, generateToken, verifyMac, welcomeMac } from '../src/index.js';
import { createHmac } from 'node:crypto';

const nonce = Uint8Array.from({ length: 32 }, (_, i) => i);
const cnonce = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

describe('authMac', () => {
  it('is HMAC-SHA256(token, "gradswarm-auth-v1" ‖ nonce ‖ cnonce)', () => {
    const expected = createHmac('sha256', 'secret').update('gradswarm-auth-v1').update(nonce).update(cnonce).digest();
    expect(authMac('secret', nonce, cnonce)).toEqual(new Uint8Array(expected));
  });

  it('verifies with the matching token and fails with a different one', () => {
    const sent = authMac('token-a', nonce, cnonce);
    expect(verifyMac(authMac('token-a', nonce, cnonce), sent)).toBe(true);
    expect(verifyMac(authMac('token-b', nonce, cnonce), sent)).toBe(false);
  });

  it('changes with either nonce, so a recorded exchange cannot be replayed', () => {
    const mac = authMac('t', nonce, cnonce);
    expect(verifyMac(authMac('t', cnonce, cnonce), mac)).toBe(false);
    expect(verifyMac(authMac('t', nonce, nonce), mac)).toBe(false);
  });

  it('refuses an empty token and a nonce that is not 32 bytes, without naming the token', () => {
    expect(() => authMac('', nonce, cnonce)).toThrow(TypeError);
    expect(() => authMac('hunter2', nonce.subarray(1), cnonce)).toThrow(RangeError);
    expect(() => authMac('hunter2', nonce.subarray(1), cnonce)).not.toThrow(/hunter2/);
  });
});

describe('welcomeMac', () => {
  it('is HMAC-SHA256(token, "gradswarm-welcome-v1" ‖ cnonce ‖ nonce)', () => {
    const expected = createHmac('sha256', 'secret').update('gradswarm-welcome-v1').update(cnonce).update(nonce).digest();
    expect(welcomeMac('secret', nonce, cnonce)).toEqual(new Uint8Array(expected));
  });

  it('differs from the auth MAC of the same token and nonces', () => {
    expect(verifyMac(authMac('t', nonce, cnonce), welcomeMac('t', nonce, cnonce))).toBe(false);
    // Swapping the nonces does not turn one into the other either: the labels differ.
    expect(verifyMac(authMac('t', cnonce, nonce), welcomeMac('t', nonce, cnonce))).toBe(false);
  });

  it('lets the worker check the coordinator: the same token verifies, another fails', () => {
    const sent = welcomeMac('shared', nonce, cnonce);
    expect(verifyMac(welcomeMac('shared', nonce, cnonce), sent)).toBe(true);
    expect(verifyMac(welcomeMac('guess', nonce, cnonce), sent)).toBe(false);
  });
});

describe('verifyMac', () => {
  it('returns false for MACs of different lengths instead of throwing', () => {
    const mac = authMac('t', nonce, cnonce);
    expect(verifyMac(mac, mac.subarray(0, 31))).toBe(false);
    expect(verifyMac(mac, new Uint8Array(0))).toBe(false);
  });
});

describe('createNonce', () => {
  it('gives 32 fresh random bytes as a plain Uint8Array', () => {
    const a = createNonce();
    const b = createNonce();
    expect(a.byteLength).toBe(32);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a).not.toEqual(b);
  });
});

describe('generateToken', () => {
  it('gives 43 letters and digits (more than 256 bits), different each time', () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(generateToken()).not.toBe(token);
  });

  it('never starts with "-", so a command line cannot take the token for a flag', () => {
    // base64url tokens did one time in 32; 2000 tokens would have shown it about 60 times.
    const first = new Set(Array.from({ length: 2000 }, () => generateToken()[0]));
    expect([...first].every((c) => /[A-Za-z0-9]/.test(c))).toBe(true);
    expect(first.size).toBeGreaterThan(55); // and every letter and digit does come first
  });
});
