/**
 * Finiteness of float32 data received from peers (weights, gradients): the native addon's scan
 * where it loads (addon.c `firstNonFinite`), this file's loop otherwise; both give the same index.
 * Also the runtime's synchronous HMAC, which the wire protocol uses when there is one.
 */
import { platform } from '#platform';
import type { SyncAesGmac, SyncHmacSha256 } from './backends/platform.js';

export type { SyncAesGmac, SyncHmacSha256 } from './backends/platform.js';

let nativeScan: ((a: Float32Array) => number) | null | undefined;

/**
 * Index of the first NaN or ±Infinity in `a`, or -1 if every value is finite.
 * @param a the floats to scan
 */
export function firstNonFinite(a: Float32Array): number {
  if (nativeScan === undefined) nativeScan = platform.nativeFirstNonFinite();
  return nativeScan ? nativeScan(a) : firstNonFiniteJs(a);
}

/** The portable scan (exported so tests can hold the native one to it). */
export function firstNonFiniteJs(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity; one compare per value.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** node:crypto's synchronous HMAC-SHA256 under Node, null elsewhere (use Web Crypto there). */
export function syncHmacSha256(): SyncHmacSha256 | null {
  return platform.syncHmacSha256();
}

/** node:crypto's synchronous AES-GCM tag under Node, null elsewhere (use Web Crypto there). */
export function syncAesGmac(): SyncAesGmac | null {
  return platform.syncAesGmac();
}
