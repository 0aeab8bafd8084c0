/**
 * `#platform` under Node: the native addon (native.ts, loaded with createRequire), the wasm file
 * read from disk, and $GRADSWARM_KERNEL from process.env; the native GEMM's blocking from this
 * machine's caches or $GRADSWARM_KERNEL_TUNING (kernel-tuning.ts, kernel-autotune.ts). See platform.ts.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KERNEL_ENV_VAR } from '../constants.js';
import { kernelBlocking } from './kernel-autotune.js';
import { createNativeBackend, nativeFirstNonFinite, nativeIsas, nativeUnavailableReason } from './native.js';
import type { Platform, SyncAesGmac, SyncHmacSha256 } from './platform.js';

/** The committed module, relative to this file in src/backends or dist/backends. */
const WASM_URL = new URL('../../wasm/gradswarm_kernels.wasm', import.meta.url);

/** The Node build of `#platform`. */
export const platform: Platform = {
  nativeIsas,
  createNativeBackend: (isa) => {
    const blocking = kernelBlocking(isa);
    return createNativeBackend(isa, { blocking, micro: blocking.micro });
  },
  nativeUnavailableReason,
  readWasmKernels: () => readFileSync(WASM_URL),
  kernelFromEnv: () => process.env[KERNEL_ENV_VAR],
  nativeFirstNonFinite,
  syncHmacSha256: () => nodeHmacSha256,
  syncAesGmac: () => nodeAesGmac,
};

/** node:crypto's AES-256-GCM over additional data only: with AES-NI about 13× faster than its HMAC-SHA256. */
const nodeAesGmac: SyncAesGmac = (key, iv, data) => {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(data);
  c.final();
  const tag = c.getAuthTag();
  return new Uint8Array(tag.buffer, tag.byteOffset, tag.byteLength);
};

/**
 * node:crypto's HMAC: synchronous, so sealing a multi-megabyte message costs the hash and not
 * Web Crypto's copy of the input plus a trip through the thread pool (protocol seal.ts).
 */
const nodeHmacSha256: SyncHmacSha256 = (key, parts) => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
};
