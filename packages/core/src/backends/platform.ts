/**
 * What the kernel registry needs from the runtime, in one object with a Node build and a portable
 * build. package.json "imports" maps `#platform` to platform-node.ts under the `node` condition
 * and to platform-portable.ts otherwise (a bundler for the browser), as msgpackr's package.json
 * maps its entry to node-index.js for Node only. So `@gradswarm/core` imports no Node built-in
 * outside Node, and under Node `selectBackend()` finds the native addon as it always has.
 */
import type { KernelBackend } from '../kernel-backend.js';

/** HMAC-SHA256 of the concatenation of `parts` under the raw key `key`, computed synchronously. */
export type SyncHmacSha256 = (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array;

/**
 * The 16-byte AES-256-GCM tag of `data` as additional data with no plaintext (GMAC, NIST SP 800-38D)
 * under the raw 32-byte `key` and the 12-byte `iv`, computed synchronously.
 */
export type SyncAesGmac = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array;

export interface Platform {
  /** Instruction sets the native addon offers here, best first; [] without it. */
  nativeIsas(): string[];
  /** The native backend for `isa`, or null. */
  createNativeBackend(isa: string): KernelBackend | null;
  /** Why `native-<isa>` (or any native backend) cannot be used here, with a "- help:" hint; null if it can. */
  nativeUnavailableReason(isa?: string): string | null;
  /** The committed WebAssembly kernels (wasm/gradswarm_kernels.wasm). @throws Error when this runtime cannot read them */
  readWasmKernels(): Uint8Array;
  /** The backend $GRADSWARM_KERNEL names, if the runtime has an environment and it is set. */
  kernelFromEnv(): string | undefined;
  /** The native addon's scan for the first non-finite float32, or null (then finite.ts scans in JS). */
  nativeFirstNonFinite(): ((a: Float32Array) => number) | null;
  /** A synchronous HMAC-SHA256 (node:crypto), or null where only the asynchronous Web Crypto exists. */
  syncHmacSha256(): SyncHmacSha256 | null;
  /** A synchronous AES-GCM tag (node:crypto), or null where only the asynchronous Web Crypto exists. */
  syncAesGmac(): SyncAesGmac | null;
}
