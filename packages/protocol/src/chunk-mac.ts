/**
 * The MAC of a chain chunk frame (chain-frame.ts): GMAC, the AES-256-GCM tag of the frame's header
 * and floats as additional data with no plaintext (NIST SP 800-38D), under the link direction's
 * key, with the frame's sequence number as the nonce. Every chunk frame of a step is signed by its
 * sender and checked by its receiver at every hop, four times per worker per step; HMAC-SHA256
 * costs about 7× GMAC there (node:crypto with AES-NI; scripts/bench-mac.mjs), a gap that a worker
 * on a fraction of a core pays several times over.
 *
 * A GCM nonce must never repeat under one key: each direction of a link has its own key (derived
 * in the peer handshake from both sides' fresh nonces) and numbers its frames 1, 2, … with a u32
 * that the link refuses to wrap (CHUNK_SEQ_LIMIT). The 16-byte tag is checked in constant time.
 */
import { syncAesGmac, type SyncAesGmac } from '@gradswarm/core';
import { verifyMac } from './auth.js';
import type { SessionKey } from './session-key.js';

/** Bytes of a chunk frame's MAC (a GCM tag). */
export const CHUNK_MAC_BYTES = 16;
/** Sequence numbers of a link direction stay below this (a GCM nonce must not repeat). */
export const CHUNK_SEQ_LIMIT = 0xffffffff;

/** A Web Crypto AES-GCM key, typed without the DOM library. */
type AesKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

const IV_BYTES = 12;
/** Bytes 4-11 of the nonce: fixed, so that a chunk nonce cannot be mistaken for any other use of GCM. */
const IV_LABEL = Uint8Array.of(0x67, 0x73, 0x63, 0x68, 0x75, 0x6e, 0x6b, 0x31); // "gschunk1"

let sync: SyncAesGmac | null | undefined;
const webKeys = new WeakMap<SessionKey, Promise<AesKey>>();

function nonce(seq: number): Uint8Array {
  const iv = new Uint8Array(IV_BYTES);
  new DataView(iv.buffer).setUint32(0, seq, true);
  iv.set(IV_LABEL, 4);
  return iv;
}

/** Replaces the synchronous GMAC (null: Web Crypto only), for tests; returns the old one. */
export function useSyncGmac(fn: SyncAesGmac | null): SyncAesGmac | null {
  const before = sync === undefined ? syncAesGmac() : sync;
  sync = fn;
  return before;
}

/**
 * The tag of `body` (a frame's header and floats) for sequence number `seq` under `k`.
 * @returns 16 bytes, synchronously where the runtime allows
 */
export function chunkMacOf(k: SessionKey, seq: number, body: Uint8Array): Uint8Array | Promise<Uint8Array> {
  if (!Number.isInteger(seq) || seq < 1 || seq >= CHUNK_SEQ_LIMIT)
    throw new RangeError(`chunk sequence number ${seq} is outside 1 … ${CHUNK_SEQ_LIMIT - 1}`);
  if (sync === undefined) sync = syncAesGmac();
  if (sync) return sync(k.raw, nonce(seq), body);
  return webGmac(k, seq, body);
}

/** Whether `tag` is the tag of `body` for `seq` under `k` (constant-time compare). */
export async function chunkMacVerifies(
  k: SessionKey,
  seq: number,
  body: Uint8Array,
  tag: Uint8Array,
): Promise<boolean> {
  if (seq < 1 || seq >= CHUNK_SEQ_LIMIT) return false;
  return verifyMac(await chunkMacOf(k, seq, body), tag);
}

async function webGmac(k: SessionKey, seq: number, body: Uint8Array): Promise<Uint8Array> {
  let key = webKeys.get(k);
  if (!key) {
    key = globalThis.crypto.subtle.importKey('raw', k.raw, { name: 'AES-GCM' }, false, ['encrypt']);
    webKeys.set(k, key);
  }
  const out = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce(seq), additionalData: body, tagLength: 8 * CHUNK_MAC_BYTES },
    await key,
    new Uint8Array(0),
  );
  return new Uint8Array(out);
}
