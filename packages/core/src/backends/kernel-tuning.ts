/**
 * The native GEMM's cache blocking (MC, KC, NC) from this machine (Node only): derived from the
 * CPU's cache sizes (Linux sysfs), or forced by `GRADSWARM_KERNEL_TUNING`. The blocking only
 * changes speed: every kernel accumulates each element of C in k order starting from its value
 * (native/src/gemm-driver.h), so two machines with different caches, or one machine under two
 * tunings, compute the same bits, and a reproducible run needs no agreement on it. The choice
 * per process, with the autotune cache, is kernelBlocking() in kernel-autotune.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ErrorCode, GradswarmError } from '../errors.js';

/** Environment variable that forces the blocking and micro-kernel: `default`, `caches`, e.g. `mc=144,kc=320,nc=4080`, `micro=avx2`. */
export const KERNEL_TUNING_ENV_VAR = 'GRADSWARM_KERNEL_TUNING';

/** The addon's compiled-in blocking (gs.h), tuned on a Zen 4 core: 32 KiB L1d, 1 MiB L2. */
export const DEFAULT_BLOCKING: KernelBlocking = Object.freeze({ mc: 144, kc: 320, nc: 4080, source: 'default' });

/** Micro-tile of the float32 AVX2 kernel (gs.h GS_MR × GS_NR): what the blocking is a multiple of. */
const MR = 6;
const NR = 16;
const FLOAT_BYTES = 4;

/**
 * Micro-kernels of native-avx2: `avx512` (up to 16×16 tiles in zmm registers, on CPUs with AVX-512F),
 * `avx2` (6×16 in ymm), `auto` the best this CPU runs. They compute the same bits (avx512.c), so
 * the choice is speed only, like the blocking, and the backend keeps its name either way.
 */
export const MICRO_KERNELS = ['auto', 'avx512', 'avx2'] as const;
export type MicroKernel = (typeof MICRO_KERNELS)[number];

/** Cache blocking of the native GEMM, and where it came from. */
export interface KernelBlocking {
  /** Rows of op(A) per packed block (kept in L2). */
  readonly mc: number;
  /** Depth of a packed panel (one A and one B micro-panel kept in L1d). */
  readonly kc: number;
  /** Columns of op(B) per packed block (kept in L3). */
  readonly nc: number;
  readonly source: 'default' | 'caches' | 'env' | 'autotune';
  /** The micro-kernel asked for (GRADSWARM_KERNEL_TUNING micro=) [auto]. */
  readonly micro?: MicroKernel;
}

/** Data-cache sizes of one core, in bytes (0 when unknown); L3 is the share per core. */
export interface CpuCaches {
  readonly l1dBytes: number;
  readonly l2Bytes: number;
  readonly l3Bytes: number;
  readonly l3PerCoreBytes: number;
}

/** Parses a sysfs cache size such as `32K`, `1024K`, `32M`. */
function parseSize(text: string): number {
  const m = /^(\d+)\s*([KMG]?)/i.exec(text.trim());
  if (!m) return 0;
  const unit = { '': 1, K: 1024, M: 1024 * 1024, G: 1024 * 1024 * 1024 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/** How many CPUs a sysfs `shared_cpu_list` such as `0-7,16-23` names. */
function countCpus(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return Math.max(n, 1);
}

/** This machine's data caches as seen by CPU 0, from `root` (Linux sysfs); zeros where unknown. */
export function readCpuCaches(root = '/sys/devices/system/cpu/cpu0/cache'): CpuCaches {
  let l1dBytes = 0;
  let l2Bytes = 0;
  let l3Bytes = 0;
  let l3PerCoreBytes = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(root).filter((e) => /^index\d+$/.test(e));
  } catch {
    return { l1dBytes, l2Bytes, l3Bytes, l3PerCoreBytes };
  }
  for (const entry of entries) {
    try {
      const read = (f: string): string => readFileSync(`${root}/${entry}/${f}`, 'utf8').trim();
      const type = read('type');
      if (type === 'Instruction') continue;
      const level = Number(read('level'));
      const bytes = parseSize(read('size'));
      if (level === 1) l1dBytes = bytes;
      else if (level === 2) l2Bytes = bytes;
      else if (level === 3) {
        l3Bytes = bytes;
        let sharing = 1;
        try {
          sharing = countCpus(read('shared_cpu_list'));
        } catch {
          // no list: count the whole cache for this core
        }
        l3PerCoreBytes = Math.floor(bytes / sharing);
      }
    } catch {
      // an unreadable entry tells nothing; the others still do
    }
  }
  return { l1dBytes, l2Bytes, l3Bytes, l3PerCoreBytes };
}

const floorTo = (x: number, unit: number): number => Math.floor(x / unit) * unit;
const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/**
 * BLIS's analytical blocking: one MR×KC A micro-panel and one KC×NR B micro-panel fill 7/8 of L1d
 * (the rest for C and stack), the MC×KC A block about a fifth of L2 (the B panels stream through
 * the rest), the KC×NC B block half the core's share of L3. On a Zen 4 or Zen 3 core (32 KiB,
 * 1 MiB) this gives the compiled-in kc 320 and mc 144. Unknown sizes keep the defaults.
 */
export function blockingFromCaches(caches: CpuCaches): KernelBlocking {
  if (caches.l1dBytes <= 0 || caches.l2Bytes <= 0) return DEFAULT_BLOCKING;
  const kc = clamp(floorTo((caches.l1dBytes * 7) / 8 / ((MR + NR) * FLOAT_BYTES), 8), 64, 1024);
  const mc = clamp(floorTo((caches.l2Bytes * 0.18) / (kc * FLOAT_BYTES), MR * 4), MR * 4, 1200);
  const l3 = caches.l3PerCoreBytes > 0 ? caches.l3PerCoreBytes : caches.l2Bytes * 4;
  const nc = clamp(floorTo(l3 / 2 / (kc * FLOAT_BYTES), NR * 16), NR * 16, DEFAULT_BLOCKING.nc);
  return Object.freeze({ mc, kc, nc, source: 'caches' });
}

/**
 * Parses `GRADSWARM_KERNEL_TUNING`: comma-separated parts, each `default` (the compiled-in
 * blocking), `caches` (from this machine's caches), `mc=…`, `kc=…`, `nc=…` (sizes replacing
 * those of the base) or `micro=auto|avx512|avx2`. Sizes not named come from `default` or
 * `caches` if given, else the compiled-in ones; without any size (an empty text, `micro=…`
 * alone) the blocking comes from the caches.
 * Throws GS_ERR_INVALID_OPTION.
 */
export function parseKernelTuning(text: string, caches: () => CpuCaches = readCpuCaches): KernelBlocking {
  const t = text.trim();
  const parts = t === '' ? [] : t.split(',');
  const fail = (part: string): never => {
    throw new GradswarmError(
      ErrorCode.INVALID_OPTION,
      `${KERNEL_TUNING_ENV_VAR}="${text}" is not understood at "${part.trim()}" - help: use default, caches, micro=auto|avx512|avx2, or e.g. mc=144,kc=320,nc=4080 (integers from 8 to 1048576), joined by commas`,
    );
  };
  let base: KernelBlocking | null = null;
  let micro: MicroKernel | undefined;
  const sizes: Partial<Record<'mc' | 'kc' | 'nc', number>> = {};
  for (const part of parts) {
    const p = part.trim();
    if (p === 'default' || p === 'caches') {
      if (base !== null) fail(part);
      base = p === 'default' ? DEFAULT_BLOCKING : blockingFromCaches(caches());
      continue;
    }
    const mm = /^micro\s*=\s*(\w+)$/.exec(p);
    if (mm) {
      if (!(MICRO_KERNELS as readonly string[]).includes(mm[1])) fail(part);
      micro = mm[1] as MicroKernel;
      continue;
    }
    const m = /^(mc|kc|nc)\s*=\s*(\d+)$/.exec(p);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !(value >= 8 && value <= 1 << 20)) fail(part);
    sizes[m![1] as 'mc' | 'kc' | 'nc'] = value;
  }
  const named = Object.keys(sizes).length > 0;
  if (base === null) base = named ? DEFAULT_BLOCKING : blockingFromCaches(caches());
  if (!named && micro === undefined) return base;
  return Object.freeze({
    mc: sizes.mc ?? base.mc,
    kc: sizes.kc ?? base.kc,
    nc: sizes.nc ?? base.nc,
    source: named ? 'env' : base.source,
    ...(micro !== undefined ? { micro } : {}),
  });
}

/** The CPU's model name (Linux /proc/cpuinfo), or '' where unknown. */
export function cpuModelName(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : '';
  } catch {
    return '';
  }
}
