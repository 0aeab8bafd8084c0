/**
 * Issue 15, item 5 (no bit depends on the machine): the GEMM's blocking from the machine's caches
 * or GRADSWARM_KERNEL_TUNING never changes a result bit; the addon takes no function from the C
 * library's libm; the portable native kernels and the wasm build, the same C without FMA, agree
 * bit for bit on the exp/log/tanh passes. Also the parsing of the tuning and of sysfs.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  blockingFromCaches,
  DEFAULT_BLOCKING,
  parseKernelTuning,
  readCpuCaches,
} from '../src/backends/kernel-tuning.js';
import { createNativeBackend, nativeIsas } from '../src/backends/native.js';
import { createWasmBackend } from '../src/backends/wasm.js';
import type { HiddenActivation, LossName, OutputActivation } from '../src/types.js';
import { Rng } from '../src/rng.js';

const ADDON = fileURLToPath(new URL('../native/build/Release/gradswarm_kernels.node', import.meta.url));
const isas = nativeIsas();
const TINY = { mc: 12, kc: 8, nc: 32 };
const ODD = { mc: 30, kc: 136, nc: 48 };

describe('GEMM blocking', () => {
  // Edge tiles, the operand swap (n = 10), k cut into many panels by kc = 8, accumulate on.
  const shapes: Array<[number, number, number]> = [
    [37, 53, 700],
    [100, 10, 784],
    [50, 784, 333],
    [7, 129, 65],
  ];
  for (const isa of isas) {
    for (const [typeName, Type] of [
      ['float32', Float32Array],
      ['float64', Float64Array],
    ] as const) {
      it(`native-${isa} ${typeName}: gives the same bits for the compiled-in, tiny and odd blockings`, () => {
        const backends = [undefined, TINY, ODD].map((blocking) => createNativeBackend(isa, { minWork: 0, blocking })!);
        const rng = new Rng(15);
        for (const [m, n, k] of shapes) {
          const random = (length: number): Float32Array | Float64Array => {
            const x = new Type(length);
            for (let i = 0; i < length; i++) x[i] = rng.uniform(-1, 1);
            return x;
          };
          const [a, b, c0] = [random(m * k), random(k * n), random(m * n)];
          for (const tA of [false, true]) {
            for (const tB of [false, true]) {
              for (const acc of [false, true]) {
                const results = backends.map((be) => {
                  const c = c0.slice();
                  be.gemm(tA, tB, m, n, k, a, 0, tA ? m : k, b, 0, tB ? k : n, c, 0, n, acc);
                  return Buffer.from(c.buffer).toString('base64');
                });
                expect(results[1], `${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc}`).toBe(results[0]);
                expect(results[2], `${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc}`).toBe(results[0]);
              }
            }
          }
        }
      });
    }
  }
});

describe('no libm', () => {
  it.runIf(process.platform === 'linux' && isas.length > 0)(
    'the addon imports none of exp, log, log1p, tanh and their float forms',
    () => {
      // Dynamic symbol names sit NUL-terminated in .dynstr; an imported exp would appear as "\0exp\0".
      const bytes = readFileSync(ADDON).toString('latin1');
      for (const name of ['exp', 'expf', 'log', 'logf', 'log1p', 'log1pf', 'tanh', 'tanhf', 'expm1', 'pow']) {
        expect(bytes.includes(`\0${name}\0`) || bytes.includes(`\0${name}@`), name).toBe(false);
      }
    },
  );

  const wasm = createWasmBackend({ minWork: 0 });
  const portable = isas.includes('portable') ? createNativeBackend('portable', { minWork: 0 }) : null;
  it.runIf(wasm !== null && portable !== null)(
    'native-portable and wasm-simd compute the same bits for the output losses and activations',
    () => {
      const rng = new Rng(5);
      const rows = 41;
      const k = 10;
      const z = Float32Array.from({ length: rows * k }, (_, i) =>
        i < 6 ? [60, -60, 0, 88, -100, 1e-9][i] : rng.uniform(-12, 12),
      );
      const labels = Int32Array.from({ length: rows }, (_, i) => (i * 3) % k);
      const pairs: Array<[OutputActivation, LossName]> = [
        ['softmax', 'ce'],
        ['sigmoid', 'bce'],
        ['sigmoid', 'mse'],
      ];
      for (const [output, loss] of pairs) {
        const [aw, dw, ap, dp] = [0, 1, 2, 3].map(() => new Float32Array(rows * k));
        const lw = wasm!.outputLoss!(output, loss, z, aw, dw, rows, k, labels, null, 0);
        const lp = portable!.outputLoss!(output, loss, z, ap, dp, rows, k, labels, null, 0);
        expect(lp, `${output}+${loss}`).toBe(lw);
        expect(Array.from(ap)).toEqual(Array.from(aw));
        expect(Array.from(dp)).toEqual(Array.from(dw));
      }
      const bias = Float32Array.from({ length: k }, () => rng.uniform(-1, 1));
      for (const act of ['sigmoid', 'tanh', 'swish'] as HiddenActivation[]) {
        const [zw, zp, ow, op] = [
          Float32Array.from(z),
          Float32Array.from(z),
          new Float32Array(rows * k),
          new Float32Array(rows * k),
        ];
        wasm!.biasActivation(zw, ow, rows, k, bias, 0, 1, act);
        portable!.biasActivation(zp, op, rows, k, bias, 0, 1, act);
        expect(Array.from(op), act).toEqual(Array.from(ow));
      }
    },
  );
});

describe('parseKernelTuning', () => {
  it('reads default, a full and a partial blocking', () => {
    expect(parseKernelTuning('default')).toBe(DEFAULT_BLOCKING);
    expect(parseKernelTuning('mc=96,kc=256,nc=2048')).toEqual({ mc: 96, kc: 256, nc: 2048, source: 'env' });
    expect(parseKernelTuning(' kc = 64 ')).toEqual({ mc: 144, kc: 64, nc: 4080, source: 'env' });
  });

  it('refuses names, units and sizes below 8 with GS_ERR_INVALID_OPTION and a help hint', () => {
    for (const bad of ['kc=big', 'xc=8', 'kc=4', 'kc=64,', 'mc=1e3']) {
      expect(() => parseKernelTuning(bad), bad).toThrow(
        expect.objectContaining({
          code: 'GS_ERR_INVALID_OPTION',
          message: expect.stringMatching(/GRADSWARM_KERNEL_TUNING=.* - help: /),
        }),
      );
    }
  });
});

describe('blocking from the caches', () => {
  it('gives the compiled-in kc and mc for a 32 KiB L1d and 1 MiB L2, and scales with them', () => {
    const zen = blockingFromCaches({
      l1dBytes: 32 << 10,
      l2Bytes: 1 << 20,
      l3Bytes: 32 << 20,
      l3PerCoreBytes: 4 << 20,
    });
    expect(zen).toEqual({ mc: 144, kc: 320, nc: 1536, source: 'caches' });
    const skylake = blockingFromCaches({
      l1dBytes: 32 << 10,
      l2Bytes: 256 << 10,
      l3Bytes: 8 << 20,
      l3PerCoreBytes: 2 << 20,
    });
    expect(skylake.kc).toBe(320);
    expect(skylake.mc).toBe(24);
    const big = blockingFromCaches({ l1dBytes: 48 << 10, l2Bytes: 2 << 20, l3Bytes: 0, l3PerCoreBytes: 0 });
    expect(big.kc).toBe(488);
    expect(big.mc % 24).toBe(0);
    expect(blockingFromCaches({ l1dBytes: 0, l2Bytes: 0, l3Bytes: 0, l3PerCoreBytes: 0 })).toBe(DEFAULT_BLOCKING);
  });

  it('reads L1d, L2 and the per-core share of L3 from a sysfs cache directory, skipping the instruction cache', () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-caches-'));
    try {
      const entries = [
        ['1', 'Data', '48K', '0'],
        ['1', 'Instruction', '32K', '0'],
        ['2', 'Unified', '2048K', '0'],
        ['3', 'Unified', '32M', '0-7,16-23'],
      ];
      entries.forEach(([level, type, size, shared], i) => {
        const d = join(root, `index${i}`);
        mkdirSync(d);
        writeFileSync(join(d, 'level'), `${level}\n`);
        writeFileSync(join(d, 'type'), `${type}\n`);
        writeFileSync(join(d, 'size'), `${size}\n`);
        writeFileSync(join(d, 'shared_cpu_list'), `${shared}\n`);
      });
      expect(readCpuCaches(root)).toEqual({
        l1dBytes: 48 << 10,
        l2Bytes: 2 << 20,
        l3Bytes: 32 << 20,
        l3PerCoreBytes: 2 << 20,
      });
      expect(readCpuCaches(join(root, 'missing'))).toEqual({ l1dBytes: 0, l2Bytes: 0, l3Bytes: 0, l3PerCoreBytes: 0 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
