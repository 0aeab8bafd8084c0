/**
 * Mutual HMAC challenge–response over a shared token (DESIGN §6). The token itself never
 * crosses the wire:
 *   C→W challenge  nonce (32 random bytes)
 *   W→C auth       cnonce (32 random bytes), mac = HMAC-SHA256(token, "gradswarm-auth-v1" ‖ nonce ‖ cnonce)
 *   C→W welcome    mac = HMAC-SHA256(token, "gradswarm-welcome-v1" ‖ cnonce ‖ nonce)
 * The coordinator checks the worker's MAC, the worker checks the coordinator's, each with
 * `verifyMac` (constant time). The labels keep one MAC from ever passing for the other, and
 * both nonces make every exchange fresh, so a recorded one cannot be replayed.
 */
import { createHmac, getRandomValues, randomBytes, timingSafeEqual } from 'node:crypto';
import { AUTH_MAC_LABEL, NONCE_BYTES, TOKEN_CHARS, WELCOME_MAC_LABEL } from './constants.js';

/** 32 fresh random bytes for a challenge nonce or a cnonce. */
export function createNonce(): Uint8Array {
  return getRandomValues(new Uint8Array(NONCE_BYTES));
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A new shared token: TOKEN_CHARS letters and digits drawn uniformly (62^43 > 2^256), safe on a
 * command line. Letters and digits only: base64url's '-' and '_' made one token in 32 start
 * with '-', and `--token -h…` is a help flag to an argument parser, not a token.
 */
export function generateToken(): string {
  let token = '';
  while (token.length < TOKEN_CHARS) {
    for (const byte of randomBytes(TOKEN_CHARS)) {
      // 248 = 4·62: taking only bytes below it keeps every character equally likely.
      if (byte < 248 && token.length < TOKEN_CHARS) token += TOKEN_ALPHABET[byte % 62];
    }
  }
  return token;
}

/**
 * The worker's proof that it holds the token.
 * @param token the shared token (its UTF-8 bytes are the HMAC key)
 * @param nonce the coordinator's challenge nonce (32 bytes)
 * @param cnonce the worker's nonce (32 bytes)
 * @returns HMAC-SHA256(token, "gradswarm-auth-v1" ‖ nonce ‖ cnonce), 32 bytes
 * @throws TypeError if the token is not a non-empty string; RangeError if a nonce is not 32 bytes
 */
export function authMac(token: string, nonce: Uint8Array, cnonce: Uint8Array): Uint8Array {
  return mac(token, AUTH_MAC_LABEL, nonce, cnonce);
}

/**
 * The coordinator's proof that it holds the token too (the nonces in the other order, and
 * another label, so it can never equal an auth MAC).
 * @param token the shared token
 * @param nonce the coordinator's challenge nonce (32 bytes)
 * @param cnonce the worker's nonce (32 bytes)
 * @returns HMAC-SHA256(token, "gradswarm-welcome-v1" ‖ cnonce ‖ nonce), 32 bytes
 * @throws TypeError if the token is not a non-empty string; RangeError if a nonce is not 32 bytes
 */
export function welcomeMac(token: string, nonce: Uint8Array, cnonce: Uint8Array): Uint8Array {
  return mac(token, WELCOME_MAC_LABEL, cnonce, nonce);
}

/**
 * Whether a received MAC equals the expected one, in time that does not depend on where they
 * differ.
 * @param expected the MAC this side computed
 * @param got the MAC the peer sent
 * @returns false for different lengths, else the constant-time comparison
 */
export function verifyMac(expected: Uint8Array, got: Uint8Array): boolean {
  return expected.byteLength === got.byteLength && timingSafeEqual(expected, got);
}

function mac(token: string, label: string, first: Uint8Array, second: Uint8Array): Uint8Array {
  // The token is never put into a message, not even this one's.
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('token must be a non-empty string');
  for (const nonce of [first, second]) {
    if (!(nonce instanceof Uint8Array) || nonce.byteLength !== NONCE_BYTES) {
      const got = nonce instanceof Uint8Array ? `${nonce.byteLength} bytes` : typeof nonce;
      throw new RangeError(`nonces must be ${NONCE_BYTES} bytes, got ${got}`);
    }
  }
  const digest = createHmac('sha256', token).update(label, 'utf8').update(first).update(second).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
