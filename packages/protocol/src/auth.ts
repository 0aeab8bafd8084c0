/**
 * Mutual HMAC challenge–response over a shared token, bound to the connection (architecture §5,
 * protocol version 2). The token itself never crosses the wire, and every step runs on Web
 * Crypto (`globalThis.crypto.subtle`), so the same code runs in Node and in a browser:
 *   K       = scrypt(token, "gradswarm-token-v2", N 2^15, r 8, p 1), once per process (`kdf.ts`)
 *   B       = SHA-256 of the binding: the address the worker dialled, the coordinator's id (sent
 *             in `challenge`), and on wss the SHA-256 fingerprint of the coordinator's certificate
 *   C→W challenge  nonce, coordinatorId
 *   W→C auth       cnonce, dialled, mac = HMAC(K, "gradswarm-auth-v2" ‖ nonce ‖ cnonce ‖ B)
 *   C→W welcome    mac = HMAC(K, "gradswarm-welcome-v2" ‖ cnonce ‖ nonce ‖ B)
 * and then one session key per direction, HMAC(K, label ‖ nonce ‖ cnonce ‖ B), that signs every
 * later message (`seal.ts`). A relay that forwards a challenge to a worker that dialled the relay
 * gets a MAC over the relay's address (or certificate), which the real coordinator refuses; and
 * it can never sign a message of its own, since it never learns K.
 */
import {
  AUTH_MAC_LABEL,
  COORDINATOR_ID_BYTES,
  MAC_BYTES,
  NONCE_BYTES,
  SESSION_C2W_LABEL,
  SESSION_W2C_LABEL,
  TOKEN_CHARS,
  WELCOME_MAC_LABEL,
} from './constants.js';
import { sessionKey, type SessionKey } from './session-key.js';
import { concatBytes } from './concat-bytes.js';

const subtle = (): typeof globalThis.crypto.subtle => globalThis.crypto.subtle;

/** A Web Crypto HMAC-SHA256 key (a CryptoKey), typed without the DOM library. */
export type HmacKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;
const utf8 = new TextEncoder();

/** 32 fresh random bytes for a challenge nonce or a cnonce. */
export function createNonce(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/** 16 fresh random bytes naming one coordinator process (`challenge.coordinatorId`). */
export function createCoordinatorId(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(COORDINATOR_ID_BYTES));
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
    for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(TOKEN_CHARS))) {
      // 248 = 4·62: taking only bytes below it keeps every character equally likely.
      if (byte < 248 && token.length < TOKEN_CHARS) token += TOKEN_ALPHABET[byte % 62];
    }
  }
  return token;
}

/** What both sides bind the handshake to. */
export interface ConnectionBinding {
  /** The address the worker dialled, as `normalizeDialled` writes it (`ws://host:port`). */
  readonly dialled: string;
  /** The coordinator's id from `challenge` (16 bytes). */
  readonly coordinatorId: Uint8Array;
  /** Lowercase hex SHA-256 of the coordinator's TLS certificate on wss, '' on plain ws. */
  readonly certFingerprint: string;
}

/**
 * The canonical form of a ws:// or wss:// address for the binding: scheme, lowercase host
 * (IPv6 without brackets) and the port (the scheme's default when absent); no path.
 * @throws RangeError if `url` is not a ws:// or wss:// URL
 */
export function normalizeDialled(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`not a ws:// or wss:// address: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new RangeError(`not a ws:// or wss:// address: ${JSON.stringify(url.slice(0, 200))}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = u.port === '' ? (u.protocol === 'wss:' ? '443' : '80') : u.port;
  return `${u.protocol}//${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A certificate fingerprint as lowercase hex without separators ('AB:CD…' → 'abcd…'). */
export function normalizeFingerprint(text: string): string {
  return text.replace(/[:\s]/g, '').toLowerCase();
}

/** SHA-256 of the binding's canonical bytes (each part length-prefixed, so none can bleed into the next). */
export async function bindingDigest(b: ConnectionBinding): Promise<Uint8Array> {
  if (!(b.coordinatorId instanceof Uint8Array) || b.coordinatorId.byteLength !== COORDINATOR_ID_BYTES) {
    throw new RangeError(`coordinatorId must be ${COORDINATOR_ID_BYTES} bytes`);
  }
  const parts = [
    utf8.encode('gradswarm-binding-v2'),
    utf8.encode(b.dialled),
    b.coordinatorId,
    utf8.encode(normalizeFingerprint(b.certFingerprint)),
  ];
  return new Uint8Array(
    await subtle().digest('SHA-256', concatBytes(parts.flatMap((p) => [lengthPrefix(p.byteLength), p]))),
  );
}

/** An HMAC-SHA256 key for Web Crypto from raw key bytes. */
export function hmacKey(raw: Uint8Array): Promise<HmacKey> {
  return subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** HMAC-SHA256 of `data` under `key`. */
export async function hmac(key: HmacKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign('HMAC', key, data));
}

/**
 * The worker's proof that it holds the token, for this connection.
 * @param key the token key (`deriveTokenKey`)
 * @param nonce the coordinator's challenge nonce (32 bytes)
 * @param cnonce the worker's nonce (32 bytes)
 * @param binding SHA-256 of the connection binding (`bindingDigest`)
 * @returns HMAC-SHA256(K, "gradswarm-auth-v2" ‖ nonce ‖ cnonce ‖ B), 32 bytes
 * @throws RangeError if a nonce or the binding is not 32 bytes
 */
export function authMac(key: HmacKey, nonce: Uint8Array, cnonce: Uint8Array, binding: Uint8Array): Promise<Uint8Array> {
  return labelled(key, AUTH_MAC_LABEL, nonce, cnonce, binding);
}

/**
 * The coordinator's proof that it holds the token too (the nonces in the other order and
 * another label, so it can never equal an auth MAC).
 * @returns HMAC-SHA256(K, "gradswarm-welcome-v2" ‖ cnonce ‖ nonce ‖ B), 32 bytes
 */
export function welcomeMac(
  key: HmacKey,
  nonce: Uint8Array,
  cnonce: Uint8Array,
  binding: Uint8Array,
): Promise<Uint8Array> {
  return labelled(key, WELCOME_MAC_LABEL, cnonce, nonce, binding);
}

/** The two session keys of one connection: worker→coordinator and coordinator→worker. */
export interface SessionKeys {
  readonly workerToCoordinator: SessionKey;
  readonly coordinatorToWorker: SessionKey;
}

/** Derives the connection's session keys from the token key, both nonces and the binding. */
export async function sessionKeys(
  key: HmacKey,
  nonce: Uint8Array,
  cnonce: Uint8Array,
  binding: Uint8Array,
): Promise<SessionKeys> {
  const [w2c, c2w] = await Promise.all([
    labelled(key, SESSION_W2C_LABEL, nonce, cnonce, binding),
    labelled(key, SESSION_C2W_LABEL, nonce, cnonce, binding),
  ]);
  const [workerToCoordinator, coordinatorToWorker] = await Promise.all([sessionKey(w2c), sessionKey(c2w)]);
  return { workerToCoordinator, coordinatorToWorker };
}

/**
 * Whether a received MAC equals the expected one, in time that does not depend on where they
 * differ.
 * @returns false for different lengths, else the constant-time comparison
 */
export function verifyMac(expected: Uint8Array, got: Uint8Array): boolean {
  if (expected.byteLength !== got.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < expected.byteLength; i++) diff |= expected[i] ^ got[i];
  return diff === 0;
}

function labelled(
  key: HmacKey,
  label: string,
  first: Uint8Array,
  second: Uint8Array,
  binding: Uint8Array,
): Promise<Uint8Array> {
  for (const [what, value, n] of [
    ['nonces', first, NONCE_BYTES],
    ['nonces', second, NONCE_BYTES],
    ['the binding digest', binding, MAC_BYTES],
  ] as const) {
    if (!(value instanceof Uint8Array) || value.byteLength !== n) {
      const got = value instanceof Uint8Array ? `${value.byteLength} bytes` : typeof value;
      throw new RangeError(`${what} must be ${n} bytes, got ${got}`);
    }
  }
  return hmac(key, concatBytes([utf8.encode(label), first, second, binding]));
}

function lengthPrefix(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}
