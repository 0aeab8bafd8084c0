/**
 * The last message of a closing tab. A page that is going away runs its `pagehide` handler and
 * the microtasks it queues, but no more turns of the event loop, and a Web Crypto HMAC resolves
 * on a later turn (it hops through a thread pool). For the signed `leave` to be out before the
 * page is, the protocol's MACs switch to a synchronous HMAC (@noble/hashes) first: sealing the
 * leave is then microtasks only.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { useSyncHmac } from '@gradswarm/protocol';

/** HMAC-SHA256 of the concatenated parts under `key`, synchronously. */
export function syncHmac(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const h = hmac.create(sha256, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Makes every later MAC of this page synchronous (the page is closing: speed no longer matters). */
export function macsSynchronousFromNowOn(): void {
  useSyncHmac(syncHmac);
}
