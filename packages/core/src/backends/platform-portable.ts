/**
 * `#platform` outside Node (a browser bundle): no native addon, no file system and no
 * environment. The WebAssembly kernels run from bytes the caller fetched:
 * `createWasmBackend({ bytes })`. See platform.ts.
 */
import type { Platform } from './platform.js';

/** The portable build of `#platform`. */
export const platform: Platform = {
  nativeIsas: () => [],
  createNativeBackend: () => null,
  nativeUnavailableReason: () =>
    'the native addon runs only under Node - help: use wasm (createWasmBackend({ bytes })) or reference',
  readWasmKernels: () => {
    throw new Error(
      'this runtime reads no files - help: fetch wasm/gradswarm_kernels.wasm and pass its bytes, createWasmBackend({ bytes })',
    );
  },
  kernelFromEnv: () => undefined,
  nativeFirstNonFinite: () => null,
  syncHmacSha256: () => null,
  syncAesGmac: () => null,
};
