import { createHmac, createHash, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authMac,
  bindingDigest,
  createNonce,
  deriveTokenKey,
  generateToken,
  hmacKey,
  normalizeDialled,
  normalizeFingerprint,
  TOKEN_KDF,
  verifyMac,
  weakTokenReason,
  welcomeMac,
} from '../src/index.js';

const nonce = Uint8Array.from({ length: 32 }, (_, i) => i);
const cnonce = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const coordinatorId = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
const TOKEN = 'a-token-long-enough';

/** scrypt(token) as node:crypto computes it: the reference for the pure-JS key. */
function nodeTokenKey(token: string): Buffer {
  return scryptSync(token, 'gradswarm-token-v2', TOKEN_KDF.dkLen, {
    N: TOKEN_KDF.N,
    r: TOKEN_KDF.r,
    p: TOKEN_KDF.p,
    maxmem: 64 * 1024 * 1024,
  });
}

/** The binding digest computed by hand: SHA-256 of four length-prefixed parts. */
function nodeBinding(dialled: string, id: Uint8Array, cert: string): Buffer {
  const h = createHash('sha256');
  for (const part of [Buffer.from('gradswarm-binding-v2'), Buffer.from(dialled), Buffer.from(id), Buffer.from(cert)]) {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(part.length);
    h.update(n).update(part);
  }
  return h.digest();
}

describe('deriveTokenKey', () => {
  it('is scrypt(token, "gradswarm-token-v2", N 2^15, r 8, p 1): the auth MAC under it matches node:crypto', async () => {
    const binding = await bindingDigest({ dialled: 'ws://127.0.0.1:7733', coordinatorId, certFingerprint: '' });
    const expected = createHmac('sha256', nodeTokenKey(TOKEN))
      .update('gradswarm-auth-v2')
      .update(nonce)
      .update(cnonce)
      .update(binding)
      .digest();
    expect(await authMac(await deriveTokenKey(TOKEN), nonce, cnonce, binding)).toEqual(new Uint8Array(expected));
  });

  it('derives once per token in a process: the same key object again', async () => {
    expect(await deriveTokenKey(TOKEN)).toBe(await deriveTokenKey(TOKEN));
  });

  it('refuses an empty token without naming anything', () => {
    expect(() => deriveTokenKey('')).toThrow(TypeError);
  });
});

describe('bindingDigest', () => {
  it('is SHA-256 of the length-prefixed label, dialled address, coordinator id and certificate fingerprint', async () => {
    const got = await bindingDigest({ dialled: 'wss://host:443', coordinatorId, certFingerprint: 'AB:CD' });
    expect(got).toEqual(new Uint8Array(nodeBinding('wss://host:443', coordinatorId, 'abcd')));
  });

  it('changes with the address, the coordinator and the certificate', async () => {
    const base = await bindingDigest({ dialled: 'ws://a:1', coordinatorId, certFingerprint: '' });
    const other = new Uint8Array(coordinatorId);
    other[0] ^= 1;
    for (const b of [
      { dialled: 'ws://a:2', coordinatorId, certFingerprint: '' },
      { dialled: 'ws://a:1', coordinatorId: other, certFingerprint: '' },
      { dialled: 'ws://a:1', coordinatorId, certFingerprint: '00' },
    ]) {
      expect(verifyMac(base, await bindingDigest(b))).toBe(false);
    }
  });
});

describe('authMac and welcomeMac', () => {
  const key = () => hmacKey(nodeTokenKey(TOKEN));
  const binding = new Uint8Array(nodeBinding('ws://127.0.0.1:7733', coordinatorId, ''));

  it('are HMAC-SHA256(K, label ‖ nonces ‖ binding), the welcome with the nonces swapped', async () => {
    const k = nodeTokenKey(TOKEN);
    const auth = createHmac('sha256', k)
      .update('gradswarm-auth-v2')
      .update(nonce)
      .update(cnonce)
      .update(binding)
      .digest();
    const welcome = createHmac('sha256', k)
      .update('gradswarm-welcome-v2')
      .update(cnonce)
      .update(nonce)
      .update(binding)
      .digest();
    expect(await authMac(await key(), nonce, cnonce, binding)).toEqual(new Uint8Array(auth));
    expect(await welcomeMac(await key(), nonce, cnonce, binding)).toEqual(new Uint8Array(welcome));
  });

  it('never equal each other, and change with either nonce', async () => {
    const k = await key();
    const mac = await authMac(k, nonce, cnonce, binding);
    expect(verifyMac(mac, await welcomeMac(k, nonce, cnonce, binding))).toBe(false);
    expect(verifyMac(mac, await authMac(k, cnonce, cnonce, binding))).toBe(false);
    expect(verifyMac(mac, await authMac(k, nonce, nonce, binding))).toBe(false);
  });

  it('refuse a nonce or binding that is not 32 bytes', async () => {
    const k = await key();
    expect(() => authMac(k, nonce.subarray(1), cnonce, binding)).toThrow(RangeError);
    expect(() => welcomeMac(k, nonce, cnonce, binding.subarray(1))).toThrow(RangeError);
  });
});

describe('verifyMac', () => {
  it('returns false for MACs of different lengths instead of throwing', () => {
    const mac = createNonce();
    expect(verifyMac(mac, mac.subarray(0, 31))).toBe(false);
    expect(verifyMac(mac, new Uint8Array(0))).toBe(false);
    expect(verifyMac(mac, new Uint8Array(mac))).toBe(true);
  });
});

describe('normalizeDialled and normalizeFingerprint', () => {
  it('write an address as scheme://host:port with the default port and no path', () => {
    expect(normalizeDialled('ws://LocalHost:7733/x?y')).toBe('ws://localhost:7733');
    expect(normalizeDialled('wss://example.org')).toBe('wss://example.org:443');
    expect(normalizeDialled('ws://[::1]:9')).toBe('ws://[::1]:9');
    expect(() => normalizeDialled('http://a')).toThrow(RangeError);
  });

  it('read a fingerprint with or without colons, in either case', () => {
    expect(normalizeFingerprint('AB:cd:EF')).toBe('abcdef');
  });
});

describe('weakTokenReason', () => {
  it('refuses a user-chosen token under 16 characters in one line naming the flag', () => {
    expect(weakTokenReason('sunshine1', '--token')).toBe(
      '--token must be at least 16 characters, got 9 - help: leave it out to have one generated',
    );
    expect(weakTokenReason('sixteen-chars-ok', '--token')).toBeUndefined();
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
