/**
 * The token key: scrypt over the token (pure JavaScript from @noble/hashes, so it runs in a
 * browser too; Web Crypto has no scrypt). Slow on purpose: a captured handshake lets an
 * eavesdropper test token guesses offline, and at N = 2^15 each guess costs ~0.2 s of one core
 * and 32 MiB instead of a microsecond. Derived once per process and token, never per connection.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { hmacKey, type HmacKey } from './auth.js';
import { MIN_TOKEN_CHARS, TOKEN_KDF_SALT } from './constants.js';

/** scrypt's cost parameters for the token key. */
export const TOKEN_KDF = Object.freeze({ N: 2 ** 15, r: 8, p: 1, dkLen: 32 });

const keys = new Map<string, Promise<HmacKey>>();

/**
 * The HMAC key of a token: scrypt(token, "gradswarm-token-v2", TOKEN_KDF) as a Web Crypto key,
 * computed once per token in this process.
 * @throws TypeError if the token is not a non-empty string (the token is never named)
 */
export function deriveTokenKey(token: string): Promise<HmacKey> {
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('token must be a non-empty string');
  let key = keys.get(token);
  if (!key) {
    key = scryptAsync(new TextEncoder().encode(token), TOKEN_KDF_SALT, { ...TOKEN_KDF }).then((raw) => hmacKey(raw));
    keys.set(token, key);
  }
  return key;
}

/**
 * Why a user-chosen token is too weak, or undefined if it is long enough (generated tokens
 * have 43 characters).
 * @param flag the option that carried it, for the message (e.g. '--token')
 */
export function weakTokenReason(token: string, flag: string): string | undefined {
  if (token.length >= MIN_TOKEN_CHARS) return undefined;
  return `${flag} must be at least ${MIN_TOKEN_CHARS} characters, got ${token.length} - help: leave it out to have one generated`;
}
