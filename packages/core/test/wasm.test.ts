import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, wasmUnavailableReason } from '../src/backends/wasm.js';
import { selectBackend } from '../src/kernels.js';
// @ts-expect-error a plain .mjs script without types
import { HASH_FILE, sourcesHash } from '../scripts/build-wasm.mjs';

const pkg = new URL('../', import.meta.url);

describe('wasm-simd backend', () => {
  it('loads in this runtime', () => {
    expect(wasmUnavailableReason()).toBeNull();
    expect(selectBackend('wasm').name).toBe('wasm-simd');
    expect(selectBackend('wasm-simd')).toBe(selectBackend('wasm'));
  });

  it('was built from the current C sources (else: npm run build:wasm -w @gradswarm/core)', () => {
    const recorded = readFileSync(new URL(HASH_FILE as string, pkg), 'utf8').trim();
    expect((sourcesHash as (root: string) => string)(new URL('.', pkg).pathname)).toBe(recorded);
  });

  it('checks shapes and types before copying anything', () => {
    const backend = createWasmBackend({ minWork: 0 })!;
    const a = new Float32Array(12);
    expect(() => backend.gemm(false, false, 3, 3, 4, a, 1, 4, a, 0, 3, new Float32Array(9), 0, 3, false)).toThrow(
      RangeError,
    );
    expect(() => backend.gemm(false, false, 2, 2, 2, a, 0, 2, new Float64Array(4), 0, 2, a, 0, 2, false)).toThrow(
      TypeError,
    );
    expect(() =>
      backend.outputLoss!(
        'softmax',
        'ce',
        new Float32Array(4),
        new Float32Array(4),
        null,
        2,
        2,
        Int32Array.from([0, 2]),
        null,
        0,
      ),
    ).toThrow(RangeError);
  });

  it('reuses one arena: a big call after small ones still gives correct results', () => {
    const backend = createWasmBackend({ minWork: 0 })!;
    for (const n of [3, 200, 5, 300]) {
      const a = Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3);
      const c = new Float32Array(n * n);
      backend.gemm(false, false, n, n, n, a, 0, n, a, 0, n, c, 0, n, false);
      let s = 0;
      for (let p = 0; p < n; p++) s += a[(n - 1) * n + p] * a[p * n + (n - 1)];
      expect(c[n * n - 1]).toBe(s);
    }
  });
});
