/**
 * The native backend: the C addon in packages/core/native (built by node-gyp at `npm install`),
 * AVX2/FMA micro-kernels when the CPU has them (`native-avx2`), portable C otherwise
 * (`native-portable`). Float32 arrays run the selected kernels; float64 arrays (gradient checks)
 * run the addon's portable double kernels, so a gradient check exercises the same driver, packing
 * and fused passes. Calls whose work (multiply-adds) is below `minWork` go to the reference
 * backend, where the N-API call would cost more than the arithmetic.
 *
 * Loading never throws: a missing addon or CPU feature makes the backend unavailable, and
 * `nativeUnavailableReason()` says why.
 */
import { createRequire } from 'node:module';
import { composedDenseBackward, composedDenseForward } from '../dense-layer.js';
import type { KernelBackend } from '../kernel-backend.js';
import { outputLoss } from '../losses.js';
import type { FloatArray } from '../types.js';
import { ErrorCode, GradswarmError } from '../errors.js';
import { ACTIVATION_CODE, lossCode } from './codes.js';
import { KERNEL_TUNING_ENV_VAR, type MicroKernel } from './kernel-tuning.js';
import { referenceBackend } from './reference.js';

/** The addon's kernel functions (argument lists as the KernelBackend methods, activations as codes). */
interface NativeKernels {
  gemm(
    tA: boolean,
    tB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    aOff: number,
    lda: number,
    b: FloatArray,
    bOff: number,
    ldb: number,
    c: FloatArray,
    cOff: number,
    ldc: number,
    acc: boolean,
  ): void;
  biasActivation(
    z: FloatArray,
    a: FloatArray,
    rows: number,
    cols: number,
    bias: FloatArray,
    biasOff: number,
    biasStride: number,
    act: number,
  ): void;
  mulActivationPrime(act: number, delta: FloatArray, z: FloatArray, a: FloatArray, length: number): void;
  addColumnSums(m: FloatArray, rows: number, cols: number, out: FloatArray, outOff: number, outStride: number): void;
  gatherRows(
    source: Float32Array,
    cols: number,
    index: Uint32Array,
    indexOff: number,
    rows: number,
    dest: FloatArray,
  ): void;
  denseForward(
    rows: number,
    nIn: number,
    nOut: number,
    x: FloatArray,
    params: FloatArray,
    offset: number,
    z: FloatArray,
    out: FloatArray,
    act: number,
  ): void;
  denseBackward(
    rows: number,
    nIn: number,
    nOut: number,
    delta: FloatArray,
    x: FloatArray,
    zIn: FloatArray | null,
    params: FloatArray,
    offset: number,
    grad: FloatArray,
    deltaIn: FloatArray | null,
    act: number,
    accumulate: boolean,
  ): void;
  outputLoss(
    kind: number,
    z: FloatArray,
    a: FloatArray,
    delta: FloatArray | null,
    rows: number,
    k: number,
    labels: Int32Array,
    rowIndex: Uint32Array | null,
    rowIndexOffset: number,
  ): number;
  sumGradients(parts: readonly Float32Array[], out: Float32Array): void;
  finishGradient(
    rows: Int32Array,
    params: Float32Array,
    grad: Float32Array,
    l1: number,
    l2: number,
    scale: number,
    sums: Float64Array,
  ): void;
  sgdStep(
    params: Float32Array,
    grad: Float32Array,
    velocity: Float32Array,
    lr: number,
    momentum: number,
    nesterov: boolean,
  ): void;
  adamStep(
    params: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
    decay: number,
  ): void;
}

interface NativeAddon {
  /** Instruction sets usable on this CPU, best first: "avx2", "portable". */
  isas(): string[];
  /** The kernels of `isa` with this GEMM blocking (0 or absent: the compiled-in one) and micro-kernel ('' or auto: the best). */
  kernels(isa: string, mc?: number, kc?: number, nc?: number, micro?: string): NativeKernels;
  /** The micro-kernels of `isa` usable here, best first (absent in an addon built before them). */
  micros?(isa: string): string[];
  /** Runs n dependent integer adds (one per cycle); false where it cannot. */
  dependentAdds(n: number): boolean;
  /** Index of the first NaN or ±Infinity in `a`, or -1 (absent in an addon built before it). */
  firstNonFinite?(a: Float32Array): number;
}

/** Where node-gyp puts the addon, relative to this file in src/backends or dist/backends. */
const ADDON_PATHS = [
  '../../native/build/Release/gradswarm_kernels.node',
  '../../native/build/Debug/gradswarm_kernels.node',
];

/**
 * Multiply-adds below which a call stays in TypeScript. An N-API call with a dozen arguments costs
 * about 0.35 µs here; the reference and the addon break even near 8×8×8 = 512 multiply-adds
 * (`node scripts/bench-kernels.mjs --small`). Element-wise passes use a quarter of it as a count
 * of elements, the output loss a sixteenth.
 */
export const NATIVE_MIN_WORK = 256;

let addon: NativeAddon | null | undefined;
let loadError = '';

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  addon = null;
  for (const path of ADDON_PATHS) {
    try {
      addon = require(path) as NativeAddon;
      break;
    } catch (err) {
      loadError ||= (err as Error).message.split('\n')[0];
    }
  }
  return addon;
}

/** Instruction sets the native addon offers on this machine, best first; [] when it does not load. */
export function nativeIsas(): string[] {
  return loadAddon()?.isas() ?? [];
}

/** Why `native-<isa>` cannot be used here, or null if it can. */
export function nativeUnavailableReason(isa?: string): string | null {
  const loaded = loadAddon();
  if (!loaded)
    return `the addon did not load (${loadError}) - help: build it with "npm run build:native -w @gradswarm/core" (needs a C compiler), or use auto`;
  if (isa !== undefined && !loaded.isas().includes(isa))
    return `this CPU lacks ${isa === 'avx2' ? 'AVX2/FMA' : isa} - help: use native or auto`;
  return null;
}

/**
 * The micro-kernels native-`isa` can run here, best first: ["avx512", "avx2"] for avx2 on a CPU
 * with AVX-512F, ["avx2"] without; [isa] for the others; [] when `isa` is not available.
 */
export function nativeMicroKernels(isa: string): string[] {
  const loaded = loadAddon();
  if (!loaded?.isas().includes(isa)) return [];
  return loaded.micros?.(isa) ?? [isa];
}

/**
 * The micro-kernel native-`isa` runs for `micro` (auto: the best here). The choice applies to
 * avx2 only (the others have one each). Throws GS_ERR_INVALID_OPTION when this CPU cannot run it.
 */
export function resolveMicroKernel(isa: string, micro: MicroKernel = 'auto'): string {
  const here = nativeMicroKernels(isa);
  if (isa !== 'avx2' || micro === 'auto') return here[0] ?? isa;
  if (!here.includes(micro))
    throw new GradswarmError(
      ErrorCode.INVALID_OPTION,
      `${KERNEL_TUNING_ENV_VAR} micro=${micro}: this CPU lacks ${micro === 'avx512' ? 'AVX-512F' : micro.toUpperCase()} (micro-kernels here: ${here.join(', ')}) - help: use micro=auto or micro=avx2`,
    );
  return micro;
}

/** Options of {@link createNativeBackend}. */
export interface NativeBackendOptions {
  /** Calls with fewer multiply-adds than this use the reference backend [NATIVE_MIN_WORK]. */
  readonly minWork?: number;
  /** The GEMM's cache blocking (kernel-tuning.ts) [the compiled-in one]; changes speed, never bits. */
  readonly blocking?: { readonly mc: number; readonly kc: number; readonly nc: number };
  /** The micro-kernel of native-avx2 (kernel-tuning.ts MicroKernel) [auto]; changes speed, never bits. */
  readonly micro?: MicroKernel;
}

/**
 * The native backend for instruction set `isa` ("avx2", "portable"; default: the best here),
 * named `native-<isa>`, or null when the addon or the instruction set is not available.
 */
export function createNativeBackend(isa?: string, options: NativeBackendOptions = {}): KernelBackend | null {
  const loaded = loadAddon();
  const chosen = isa ?? loaded?.isas()[0];
  if (!loaded || chosen === undefined || !loaded.isas().includes(chosen)) return null;
  const bl = options.blocking;
  const micro = resolveMicroKernel(chosen, options.micro);
  // An addon without micros() takes no fifth argument and has only its own micro-kernel.
  const k = loaded.micros
    ? loaded.kernels(chosen, bl?.mc ?? 0, bl?.kc ?? 0, bl?.nc ?? 0, micro)
    : bl
      ? loaded.kernels(chosen, bl.mc, bl.kc, bl.nc)
      : loaded.kernels(chosen);
  const minWork = options.minWork ?? NATIVE_MIN_WORK;
  const ref = referenceBackend;
  const backend: KernelBackend = {
    name: `native-${chosen}`,
    gemm(tA, tB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc) {
      if (m * n * kk < minWork) ref.gemm(tA, tB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
      else k.gemm(tA, tB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    },
    biasActivation(z, a, rows, cols, bias, biasOff, biasStride, activation) {
      if (rows * cols < minWork / 4) ref.biasActivation(z, a, rows, cols, bias, biasOff, biasStride, activation);
      else k.biasActivation(z, a, rows, cols, bias, biasOff, biasStride, ACTIVATION_CODE[activation]);
    },
    mulActivationPrime(activation, delta, z, a, length) {
      if (length < minWork / 4) ref.mulActivationPrime(activation, delta, z, a, length);
      else k.mulActivationPrime(ACTIVATION_CODE[activation], delta, z, a, length);
    },
    addColumnSums(m, rows, cols, out, outOff, outStride) {
      if (rows * cols < minWork / 4) ref.addColumnSums(m, rows, cols, out, outOff, outStride);
      else k.addColumnSums(m, rows, cols, out, outOff, outStride);
    },
    gatherRows(source, cols, index, indexOff, rows, dest) {
      k.gatherRows(source, cols, index, indexOff, rows, dest);
    },
    denseForward(rows, nIn, nOut, x, params, offset, z, out, activation) {
      if (rows * nIn * nOut < minWork)
        composedDenseForward(ref, rows, nIn, nOut, x, params, offset, z, out, activation);
      else k.denseForward(rows, nIn, nOut, x, params, offset, z, out, ACTIVATION_CODE[activation]);
    },
    denseBackward(rows, nIn, nOut, delta, x, zIn, params, offset, grad, deltaIn, activation, accumulate) {
      if (rows * nIn * nOut < minWork)
        composedDenseBackward(
          ref,
          rows,
          nIn,
          nOut,
          delta,
          x,
          zIn,
          params,
          offset,
          grad,
          deltaIn,
          activation,
          accumulate,
        );
      else
        k.denseBackward(
          rows,
          nIn,
          nOut,
          delta,
          x,
          zIn,
          params,
          offset,
          grad,
          deltaIn,
          ACTIVATION_CODE[activation],
          accumulate,
        );
    },
    outputLoss(output, loss, z, a, delta, rows, cols, labels, rowIndex, rowIndexOffset) {
      const kind = lossCode(output, loss);
      if (kind < 0 || rows * cols < minWork / 16)
        return outputLoss(output, loss, z, a, delta, rows, cols, labels, rowIndex, rowIndexOffset);
      return k.outputLoss(kind, z, a, delta, rows, cols, labels, rowIndex, rowIndexOffset);
    },
    // The step update: no small-call threshold, these run once per step over every parameter.
    sumGradients: k.sumGradients,
    finishGradient: k.finishGradient,
    sgdStep: k.sgdStep,
    adamStep: k.adamStep,
  };
  return Object.freeze(backend);
}

/**
 * The core's clock while it computes, in Hz: a timed chain of dependent adds in the addon (one
 * per cycle), best of `repeat`. Null without the addon or off x86-64. Benchmarks report figures
 * against the peak, clock × {@link peakFlopPerCycle} float32 FLOP.
 */
export function measureCpuClockHz(repeat = 5): number | null {
  const loaded = loadAddon();
  if (!loaded) return null;
  const adds = 4e8;
  let best = 0;
  // CPU time, not the wall clock: on a shared core a slice given to another process would read
  // as a slower clock.
  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  for (let r = 0; r < repeat; r++) {
    const started = cpuSeconds();
    if (!loaded.dependentAdds(adds)) return null;
    best = Math.max(best, adds / Math.max(cpuSeconds() - started, 1e-6));
  }
  return best;
}

/**
 * Float32 FLOP per cycle of one core at the widest vectors micro-kernel `micro` uses: two FMA
 * pipes × 16 lanes × 2 for avx512, × 8 lanes × 2 otherwise. (Some AVX-512 cores have one 512-bit
 * FMA pipe; the benchmarks then report half the fraction of peak they could.)
 */
export function peakFlopPerCycle(micro: string): number {
  return micro === 'avx512' ? 64 : 32;
}

/** The addon's finiteness scan (`firstNonFinite` in addon.c), or null without the addon. */
export function nativeFirstNonFinite(): ((a: Float32Array) => number) | null {
  const loaded = loadAddon();
  const scan = loaded?.firstNonFinite;
  return scan ? (a) => scan.call(loaded, a) : null;
}
