/**
 * A short autotune of the native GEMM's blocking (Node only): a few candidates around the
 * cache-derived blocking, timed on the products of a training step, interleaved so a noisy
 * machine slows them alike; the fastest is cached per CPU model, instruction set and cache sizes
 * in the user's cache directory, where kernelBlocking() finds it. The blocking changes only speed,
 * never bits (kernel-tuning.ts), so a stale or foreign cache entry can cost time but not results.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNativeBackend, nativeIsas, resolveMicroKernel } from './native.js';
import {
  blockingFromCaches,
  cpuModelName,
  KERNEL_TUNING_ENV_VAR,
  parseKernelTuning,
  readCpuCaches,
  type CpuCaches,
  type KernelBlocking,
} from './kernel-tuning.js';

const CACHE_FORMAT = 'gradswarm-kernel-tuning';
const CACHE_VERSION = 1;

/** One cached autotune result. */
export interface TunedBlocking {
  readonly mc: number;
  readonly kc: number;
  readonly nc: number;
  /** Best GFLOP/s over the training products when measured (a guide, noisy). */
  readonly gflops: number;
  readonly measuredAt: string;
}

interface CacheFile {
  format: string;
  version: number;
  entries: Record<string, TunedBlocking>;
}

/** `$XDG_CACHE_HOME/gradswarm/kernel-tuning.json`, else under ~/.cache (Windows: %LOCALAPPDATA%). */
export function tuningCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || (process.platform === 'win32' && env.LOCALAPPDATA) || join(homedir(), '.cache');
  return join(base, 'gradswarm', 'kernel-tuning.json');
}

/**
 * The key of this machine's entry: what the best blocking depends on, including the micro-kernel
 * `auto` picks (an avx512 tile is up to 16 rows, an avx2 one 6).
 */
export function tuningKey(
  isa: string,
  caches: CpuCaches = readCpuCaches(),
  model: string = cpuModelName(),
  micro: string = resolveMicroKernel(isa),
): string {
  const tile = micro === isa ? '' : `|micro ${micro}`;
  return `${model || 'unknown CPU'}|${isa}${tile}|L1d ${caches.l1dBytes}|L2 ${caches.l2Bytes}|L3/core ${caches.l3PerCoreBytes}`;
}

function readCache(path: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (parsed.format === CACHE_FORMAT && parsed.version === CACHE_VERSION && typeof parsed.entries === 'object')
      return parsed;
  } catch {
    // missing or unreadable: start afresh (the cache only saves time)
  }
  return { format: CACHE_FORMAT, version: CACHE_VERSION, entries: {} };
}

const validSize = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 8 && (x as number) <= 1 << 20;

/** The cached blocking for `key`, or null when there is none (or it is malformed). */
export function cachedBlocking(key: string, path = tuningCachePath()): KernelBlocking | null {
  const e = readCache(path).entries[key];
  if (!e || !validSize(e.mc) || !validSize(e.kc) || !validSize(e.nc)) return null;
  return Object.freeze({ mc: e.mc, kc: e.kc, nc: e.nc, source: 'autotune' });
}

/** Stores `tuned` under `key` (atomically: written beside, then renamed). */
export function storeBlocking(key: string, tuned: TunedBlocking, path = tuningCachePath()): void {
  const file = readCache(path);
  file.entries[key] = tuned;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
}

const floorTo = (x: number, unit: number): number => Math.max(unit, Math.floor(x / unit) * unit);

/** A handful of candidates around the cache-derived blocking: deeper/shallower panels, taller/shorter blocks. */
export function autotuneCandidates(base: KernelBlocking): KernelBlocking[] {
  const raw: Array<[number, number]> = [
    [base.mc, base.kc],
    [base.mc * 2, base.kc],
    [base.mc / 2, base.kc],
    [(base.mc * 4) / 3, (base.kc * 3) / 4],
    [(base.mc * 3) / 4, (base.kc * 5) / 4],
    [base.mc, base.kc / 2],
  ];
  const seen = new Set<string>();
  const out: KernelBlocking[] = [];
  for (const [mc, kc] of raw) {
    const c = { mc: floorTo(mc, 24), kc: floorTo(kc, 8), nc: base.nc, source: 'autotune' as const };
    const id = `${c.mc},${c.kc}`;
    if (!seen.has(id)) seen.add(id), out.push(c);
  }
  return out;
}

/** [m, n, k, tA, tB] of one 784-512-10 step at batch 1000: forward NT, gradient TN, delta NN. */
const STEP_PRODUCTS: Array<[number, number, number, boolean, boolean]> = [
  [1000, 512, 784, false, true],
  [512, 784, 1000, true, false],
  [1000, 512, 512, false, false],
];

/**
 * Times every candidate on the step's products (`rounds` interleaved rounds, the best round of
 * each kept) and returns the fastest with its GFLOP/s. Takes about a second per round on a core
 * at 60 GFLOP/s.
 */
export function autotuneBlocking(
  isa: string = nativeIsas()[0],
  rounds = 3,
  caches: CpuCaches = readCpuCaches(),
): TunedBlocking {
  const candidates = autotuneCandidates(blockingFromCaches(caches));
  const backends = candidates.map((b) => createNativeBackend(isa, { minWork: 0, blocking: b }));
  if (backends.some((b) => b === null)) throw new Error(`native-${isa} is not available here`);
  const ops = STEP_PRODUCTS.map(([m, n, k, tA, tB]) => {
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.618) * 0.5);
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.383) * 0.5);
    const c = new Float32Array(m * n);
    return { m, n, k, tA, tB, a, b, c, lda: tA ? m : k, ldb: tB ? k : n };
  });
  const flops = ops.reduce((s, o) => s + 2 * o.m * o.n * o.k, 0);
  const best = candidates.map(() => Infinity);
  for (let round = 0; round < rounds; round++) {
    backends.forEach((be, i) => {
      const t = performance.now();
      for (const o of ops) be!.gemm(o.tA, o.tB, o.m, o.n, o.k, o.a, 0, o.lda, o.b, 0, o.ldb, o.c, 0, o.n, false);
      best[i] = Math.min(best[i], (performance.now() - t) / 1000);
    });
  }
  let win = 0;
  for (let i = 1; i < best.length; i++) if (best[i] < best[win]) win = i;
  const w = candidates[win];
  return {
    mc: w.mc,
    kc: w.kc,
    nc: w.nc,
    gflops: Math.round(flops / best[win] / 1e8) / 10,
    measuredAt: new Date().toISOString(),
  };
}

const chosen = new Map<string, KernelBlocking>();

/**
 * The blocking native-`isa` uses in this process: `GRADSWARM_KERNEL_TUNING` if set, else this
 * machine's autotune result if cached (`gradswarm info` measures it), else from the caches.
 */
export function kernelBlocking(isa: string): KernelBlocking {
  let b = chosen.get(isa);
  if (b === undefined) {
    const env = process.env[KERNEL_TUNING_ENV_VAR];
    const caches = readCpuCaches();
    b =
      env !== undefined
        ? parseKernelTuning(env, () => caches)
        : (cachedBlocking(tuningKey(isa, caches)) ?? blockingFromCaches(caches));
    chosen.set(isa, b);
  }
  return b;
}
