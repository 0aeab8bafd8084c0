import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { platform as portable } from '../src/backends/platform-portable.js';
import { createWasmBackend } from '../src/backends/wasm.js';
import { Rng } from '../src/rng.js';

const WASM_BYTES = new Uint8Array(readFileSync(new URL('../wasm/gradswarm_kernels.wasm', import.meta.url)));

describe('createWasmBackend', () => {
  it('builds the same kernels from given bytes as from the committed file', () => {
    const fromFile = createWasmBackend({ minWork: 0 })!;
    const fromBytes = createWasmBackend({ minWork: 0, bytes: WASM_BYTES })!;
    expect(fromBytes.name).toBe('wasm-simd');
    const rng = new Rng(3);
    const [m, n, k] = [13, 9, 17];
    const a = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
    const c1 = new Float32Array(m * n);
    const c2 = new Float32Array(m * n);
    fromFile.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c1, 0, n, false);
    fromBytes.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c2, 0, n, false);
    expect(Buffer.from(c2.buffer).equals(Buffer.from(c1.buffer))).toBe(true);
  });

  it('gives null for bytes that are not a WebAssembly module', () => {
    expect(createWasmBackend({ bytes: Uint8Array.of(1, 2, 3) })).toBeNull();
  });
});

describe('the portable platform (#platform outside Node)', () => {
  it('has no native addon and says so with a hint', () => {
    expect(portable.nativeIsas()).toEqual([]);
    expect(portable.createNativeBackend('avx2')).toBeNull();
    expect(portable.nativeUnavailableReason()).toMatch(/only under Node - help: /);
  });

  it('reads no wasm file and no environment', () => {
    expect(() => portable.readWasmKernels()).toThrow(/createWasmBackend\(\{ bytes \}\)/);
    expect(portable.kernelFromEnv()).toBeUndefined();
  });
});
