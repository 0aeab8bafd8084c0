import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createNativeBackend, nativeIsas, nativeUnavailableReason } from '../src/backends/native.js';
import { KERNEL_ENV_VAR } from '../src/constants.js';
import { availableBackends, knownBackends, selectBackend } from '../src/kernels.js';
import { Rng } from '../src/rng.js';
import { fastBackends, NATIVE_REQUIRED } from './fixtures/fast-backends.js';

const haveNative = fastBackends.some((b) => b.name.startsWith('native'));
const ADDON = fileURLToPath(new URL('../native/build/Release/gradswarm_kernels.node', import.meta.url));

function sharedFloats(length: number, fill: (i: number) => number): Float32Array {
  const array = new Float32Array(new SharedArrayBuffer(length * 4));
  for (let i = 0; i < length; i++) array[i] = fill(i);
  return array;
}

describe('selectBackend', () => {
  const saved = process.env[KERNEL_ENV_VAR];
  afterEach(() => {
    if (saved === undefined) delete process.env[KERNEL_ENV_VAR];
    else process.env[KERNEL_ENV_VAR] = saved;
  });

  it('knows the native names and reference', () => {
    expect(knownBackends()).toEqual(['native', 'native-avx2', 'native-portable', 'wasm', 'wasm-simd', 'reference']);
    expect(availableBackends()).toContain('reference');
  });

  it.runIf(haveNative)('prefers the best native instruction set for auto and reports it precisely', () => {
    delete process.env[KERNEL_ENV_VAR];
    const best = `native-${nativeIsas()[0]}`;
    expect(selectBackend().name).toBe(best);
    expect(selectBackend('native').name).toBe(best);
    expect(selectBackend(best)).toBe(selectBackend('native')); // a thread given the reported name gets the same kernels
    expect(selectBackend('native-portable').name).toBe('native-portable');
  });

  it('lets GRADSWARM_KERNEL force the reference, and a name argument wins over it', () => {
    process.env[KERNEL_ENV_VAR] = 'reference';
    expect(selectBackend().name).toBe('reference');
    if (haveNative) expect(selectBackend('native-portable').name).toBe('native-portable');
  });

  it('refuses an unknown name with GS_ERR_BACKEND and a help hint', () => {
    expect(() => selectBackend('cuda')).toThrow(
      expect.objectContaining({ code: 'GS_ERR_BACKEND', message: expect.stringContaining('- help:') }),
    );
  });

  it('explains why an instruction set is unavailable', () => {
    expect(nativeUnavailableReason('neon-sve')).toMatch(/lacks neon-sve - help:|did not load/);
    expect(createNativeBackend('neon-sve')).toBeNull();
  });
});

describe.runIf(haveNative || NATIVE_REQUIRED)('native addon', () => {
  const backend = fastBackends.find((b) => b.name.startsWith('native'))!;

  it('computes on arrays backed by SharedArrayBuffers, bit for bit as on plain ones', () => {
    const rng = new Rng(11);
    const a = sharedFloats(64 * 96, () => rng.uniform(-1, 1));
    const b = sharedFloats(96 * 40, () => rng.uniform(-1, 1));
    const c = new Float32Array(new SharedArrayBuffer(64 * 40 * 4));
    const plain = new Float32Array(64 * 40);
    backend.gemm(false, false, 64, 40, 96, a, 0, 96, b, 0, 40, c, 0, 40, false);
    backend.gemm(false, false, 64, 40, 96, a.slice(), 0, 96, b.slice(), 0, 40, plain, 0, 40, false);
    expect([...c]).toEqual([...plain]);
  });

  it('loads in worker threads (context-aware) and gives the same bits there', async () => {
    const rng = new Rng(12);
    const a = sharedFloats(150 * 200, () => rng.uniform(-1, 1));
    const b = sharedFloats(30 * 200, () => rng.uniform(-1, 1));
    const here = new Float32Array(150 * 30);
    backend.gemm(false, true, 150, 30, 200, a, 0, 200, b, 0, 200, here, 0, 30, false);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const addon = require(workerData.path);
      const k = addon.kernels(workerData.isa);
      const c = new Float32Array(workerData.c);
      k.gemm(false, true, 150, 30, 200, new Float32Array(workerData.a), 0, 200, new Float32Array(workerData.b), 0, 200, c, 0, 30, false);
      parentPort.postMessage('done');`;
    const run = () => {
      const c = new Float32Array(new SharedArrayBuffer(150 * 30 * 4));
      const worker = new Worker(code, {
        eval: true,
        workerData: { path: ADDON, isa: backend.name.replace('native-', ''), a: a.buffer, b: b.buffer, c: c.buffer },
      });
      return new Promise<Float32Array>((resolve, reject) => {
        worker.once('message', () => void worker.terminate().then(() => resolve(c)));
        worker.once('error', reject);
      });
    };
    const results = await Promise.all([run(), run(), run()]);
    for (const c of results) expect([...c]).toEqual([...here]);
  });

  it('throws RangeError for a matrix that does not fit its array, before touching memory', () => {
    const a = new Float32Array(12);
    const c = new Float32Array(9);
    expect(() => backend.gemm(false, false, 3, 3, 4, a, 1, 4, a, 0, 3, c, 0, 3, false)).toThrow(RangeError);
    expect(() => backend.gemm(false, false, 3, 3, 4, a, 0, 3, a, 0, 3, c, 0, 3, false)).toThrow(/leading dimension/);
    expect(() => backend.gemm(false, false, 3, 3, 1, a, 0, 1, a, 0, 3, c, 1, 3, false)).toThrow(/c is too short/);
    expect(() =>
      backend.denseForward!(
        2,
        3,
        2,
        new Float32Array(6),
        new Float32Array(7),
        0,
        new Float32Array(4),
        new Float32Array(4),
        'relu',
      ),
    ).toThrow(/params is too short/);
    expect(() => backend.gatherRows(new Float32Array(6), 3, Uint32Array.from([2]), 0, 1, new Float32Array(3))).toThrow(
      /past the last row/,
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
    ).toThrow(/outside \[0, k\)/);
  });

  it('throws TypeError for mixed float types or a non-typed-array argument', () => {
    const f32 = new Float32Array(4);
    expect(() => backend.gemm(false, false, 2, 2, 2, f32, 0, 2, new Float64Array(4), 0, 2, f32, 0, 2, false)).toThrow(
      TypeError,
    );
    expect(() =>
      backend.gemm(false, false, 2, 2, 2, [1, 2, 3, 4] as unknown as Float32Array, 0, 2, f32, 0, 2, f32, 0, 2, false),
    ).toThrow(/typed array/);
    expect(() =>
      backend.denseBackward!(
        2,
        2,
        2,
        f32,
        f32,
        null,
        new Float32Array(6),
        0,
        new Float32Array(6),
        f32,
        'sigmoid',
        true,
      ),
    ).toThrow(/zIn must be given/);
  });

  it('sends calls below minWork to the reference (same result within rounding)', () => {
    const small = createNativeBackend(undefined, { minWork: 1e9 })!;
    const a = Float32Array.from([1, 2, 3, 4]);
    const c = new Float32Array(4);
    small.gemm(false, false, 2, 2, 2, a, 0, 2, a, 0, 2, c, 0, 2, false);
    expect([...c]).toEqual([7, 10, 15, 22]);
  });
});
