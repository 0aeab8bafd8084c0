/**
 * Issue 15: the micro-kernels of native-avx2 (avx512 where the CPU has AVX-512F, avx2 always)
 * compute the same bits, so the choice (GRADSWARM_KERNEL_TUNING micro=) is speed only and the
 * backend keeps its name. Every product shape that makes the driver pick a different tile height,
 * swap the operands or run edge tiles, with and without accumulation, under two blockings; the
 * element-wise passes on rows with vector tails; the fused dense layers. On a CPU without
 * AVX-512 only avx2 is listed and the comparisons are with itself (the fallback is what runs).
 */
import { describe, expect, it } from 'vitest';
import { parseKernelTuning } from '../src/backends/kernel-tuning.js';
import { createNativeBackend, nativeIsas, nativeMicroKernels, resolveMicroKernel } from '../src/backends/native.js';
import type { KernelBackend } from '../src/kernel-backend.js';
import { Rng } from '../src/rng.js';
import type { HiddenActivation } from '../src/types.js';

const haveAvx2 = nativeIsas().includes('avx2');
const micros = haveAvx2 ? nativeMicroKernels('avx2') : [];
const hex = (x: Float32Array): string => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');

function random(rng: Rng, length: number, scale = 1): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniform(-scale, scale);
  return x;
}

describe.runIf(haveAvx2)('native-avx2 micro-kernels', () => {
  const backends = (): Array<[string, KernelBackend]> =>
    micros.flatMap((micro) =>
      [undefined, { mc: 30, kc: 24, nc: 48 }].map(
        (blocking) =>
          [
            `${micro} ${blocking ? 'small blocks' : 'compiled-in'}`,
            createNativeBackend('avx2', { minWork: 0, blocking, micro: micro as 'avx2' })!,
          ] as [string, KernelBackend],
      ),
    );

  it('lists avx2 always and keeps the backend name whatever the micro-kernel', () => {
    expect(micros).toContain('avx2');
    expect(micros[micros.length - 1]).toBe('avx2');
    for (const [, be] of backends()) expect(be.name).toBe('native-avx2');
    expect(resolveMicroKernel('avx2', 'avx2')).toBe('avx2');
    expect(resolveMicroKernel('avx2')).toBe(micros[0]);
  });

  it('GEMM: the same bits on every shape, transpose and accumulation', () => {
    const all = backends();
    const rng = new Rng(512);
    // Tile heights 8-16 and 4-6 picked differently, swaps (n = 10, 50), k = 1 and 10, edges;
    // 16-row tiles packed by register transposes (k ≥ 16, rows of A contiguous) and 15-row ones.
    const shapes: Array<[number, number, number]> = [
      [1000, 512, 10],
      [64, 48, 40],
      [256, 40, 77],
      [45, 33, 50],
      [1000, 20, 36],
      [30, 256, 50],
      [17, 512, 20],
      [100, 10, 200],
      [200, 50, 97],
      [37, 53, 300],
      [14, 16, 33],
      [13, 17, 8],
      [1, 1, 1],
      [29, 3, 40],
      [9, 130, 1],
    ];
    for (const [m, n, k] of shapes) {
      const [a, b, c0] = [random(rng, m * k), random(rng, k * n), random(rng, m * n)];
      for (const tA of [false, true])
        for (const tB of [false, true])
          for (const acc of [false, true]) {
            const want = new Set<string>();
            for (const [, be] of all) {
              const c = c0.slice();
              be.gemm(tA, tB, m, n, k, a, 0, tA ? m : k, b, 0, tB ? k : n, c, 0, n, acc);
              want.add(hex(c));
            }
            expect(want.size, `${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc}`).toBe(1);
          }
    }
  });

  it('GEMM: right within rounding where rows of B are packed row by row (strides of 1 KiB multiples)', () => {
    const rng = new Rng(1024);
    // n = 250 in rows of 256 floats: full panels row by row, the last 10 columns panel by panel.
    for (const [m, n, k, ldb] of [
      [33, 250, 70, 256],
      [20, 512, 300, 512],
    ]) {
      const a = random(rng, m * k);
      const b = random(rng, k * ldb);
      for (const [name, be] of backends()) {
        const c = new Float32Array(m * n);
        be.gemm(false, false, m, n, k, a, 0, k, b, 0, ldb, c, 0, n, false);
        let worst = 0;
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * ldb + j];
            worst = Math.max(worst, Math.abs(s - c[i * n + j]));
          }
        expect(worst, `${name} ${m}x${n}x${k} ldb ${ldb}`).toBeLessThan(1e-4);
      }
    }
  });

  it('GEMM: the same bits wherever C starts within a cache line (the narrow first panel)', () => {
    const rng = new Rng(64);
    for (const [m, n, k] of [
      [1000, 512, 10],
      [37, 100, 33],
      [20, 48, 300],
    ]) {
      const [a, b, c0] = [random(rng, m * k), random(rng, k * n), random(rng, m * n)];
      for (const [name, be] of backends())
        for (const acc of [false, true]) {
          const seen = new Set<string>();
          for (let offset = 0; offset < 16; offset++) {
            const c = new Float32Array(m * n + 16);
            c.set(c0, offset);
            be.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, offset, n, acc);
            seen.add(hex(c.subarray(offset, offset + m * n)));
          }
          expect(seen.size, `${name} ${m}x${n}x${k} acc=${acc}`).toBe(1);
        }
    }
  });

  it('bias + activation, the derivative and the fused dense layers: the same bits', () => {
    const all = backends();
    const rng = new Rng(14);
    const acts: HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'swish'];
    for (const act of acts) {
      for (const [rows, nIn, nOut] of [
        [33, 19, 37],
        [64, 100, 10],
        [5, 7, 50],
      ] as const) {
        const x = random(rng, rows * nIn);
        const zIn = random(rng, rows * nIn, 4);
        const params = random(rng, nOut * (nIn + 1), 0.5);
        const deltaOut = random(rng, rows * nOut);
        const results = new Set<string>();
        for (const [, be] of all) {
          const z = new Float32Array(rows * nOut);
          const out = new Float32Array(rows * nOut);
          be.denseForward!(rows, nIn, nOut, x, params, 0, z, out, act);
          const grad = new Float32Array(params.length);
          const deltaIn = new Float32Array(rows * nIn);
          be.denseBackward!(rows, nIn, nOut, deltaOut, x, zIn, params, 0, grad, deltaIn, act, false);
          // Outside the GEMM epilogues too, with |z| up to 20 (exp's clamps, tanh's two branches).
          const zz = random(new Rng(rows), rows * nOut, 20);
          const aa = new Float32Array(zz.length);
          be.biasActivation(zz, aa, rows, nOut, params, 0, nIn + 1, act);
          const d = deltaOut.slice();
          be.mulActivationPrime(act, d, zz, aa, d.length);
          results.add([z, out, grad, deltaIn, zz, aa, d].map(hex).join('|'));
        }
        expect(results.size, `${act} ${rows}x${nIn}->${nOut}`).toBe(1);
      }
    }
  });

  it('GRADSWARM_KERNEL_TUNING micro= is read alone or with sizes, and a wrong one is refused in one line', () => {
    expect(parseKernelTuning('micro=avx2')).toMatchObject({ micro: 'avx2', source: 'caches' });
    expect(parseKernelTuning('kc=64,micro=avx512')).toEqual({
      mc: 144,
      kc: 64,
      nc: 4080,
      source: 'env',
      micro: 'avx512',
    });
    expect(parseKernelTuning('default,micro=auto')).toEqual({
      mc: 144,
      kc: 320,
      nc: 4080,
      source: 'default',
      micro: 'auto',
    });
    for (const bad of ['micro=avx9', 'micro=', 'default,caches']) {
      expect(() => parseKernelTuning(bad), bad).toThrow(
        expect.objectContaining({
          code: 'GS_ERR_INVALID_OPTION',
          message: expect.stringMatching(/micro=auto\|avx512\|avx2.* - help: |help: /),
        }),
      );
    }
  });

  it.runIf(!micros.includes('avx512'))('refuses micro=avx512 on a CPU without AVX-512F, with a help hint', () => {
    expect(() => resolveMicroKernel('avx2', 'avx512')).toThrow(
      /lacks AVX-512F .* - help: use micro=auto or micro=avx2/,
    );
  });
});

describe('micro-kernels of the other instruction sets', () => {
  it.runIf(nativeIsas().includes('portable'))('native-portable has its own only and ignores micro=', () => {
    expect(nativeMicroKernels('portable')).toEqual(['portable']);
    expect(resolveMicroKernel('portable', 'avx512')).toBe('portable');
    expect(createNativeBackend('portable', { micro: 'avx2' })!.name).toBe('native-portable');
  });
});
