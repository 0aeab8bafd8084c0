/**
 * `gradswarm info`: what the kernels see on this machine: the CPU, its data caches, the kernel
 * backend `auto` picks, its micro-kernel, the native GEMM's blocking and where it came from, and the threads. On
 * first use (no cached result for this CPU) it runs the short GEMM autotune and caches the winner,
 * which every later run then uses; `--no-autotune` skips it, `--autotune` measures again, and
 * GRADSWARM_KERNEL_TUNING overrides both. The blocking and the micro-kernel change only speed,
 * never a result bit.
 */
import { availableParallelism } from 'node:os';
import { selectBackend } from '@gradswarm/core';
import {
  autotuneBlocking,
  blockingFromCaches,
  cachedBlocking,
  cpuModelName,
  KERNEL_TUNING_ENV_VAR,
  kernelBlocking,
  nativeIsas,
  nativeMicroKernels,
  readCpuCaches,
  resolveMicroKernel,
  storeBlocking,
  tuningCachePath,
  tuningKey,
  type KernelBlocking,
} from '@gradswarm/core/native';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_OK } from '../errors.js';

interface InfoArgs {
  autotune?: boolean;
  json: boolean;
  kernel?: string;
}

/** The register tile of each micro-kernel (native/src/avx2.c, avx512.c, portable.h). */
const MICRO_TILE: Record<string, string> = {
  avx512: 'tiles of 8 to 14 rows × 16 columns in zmm registers',
  avx2: 'tiles of 4 to 6 rows × 16 columns in ymm registers',
  portable: 'tiles of 4 to 6 rows × 16 columns, plain C',
};

const kib = (bytes: number): string =>
  bytes <= 0 ? 'unknown' : bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`;

async function run(args: InfoArgs): Promise<number> {
  const backend = selectBackend(args.kernel);
  const caches = readCpuCaches();
  const isa = backend.name.startsWith('native-') ? backend.name.slice('native-'.length) : null;
  let blocking: KernelBlocking | null = null;
  let autotune = 'not run (the backend is not native)';
  if (isa !== null) {
    const key = tuningKey(isa, caches);
    const overridden = process.env[KERNEL_TUNING_ENV_VAR] !== undefined;
    const cached = cachedBlocking(key);
    if (overridden) autotune = `skipped (${KERNEL_TUNING_ENV_VAR} is set)`;
    else if (args.autotune === false) autotune = 'skipped (--no-autotune)';
    else if (cached !== null && args.autotune !== true) autotune = `cached in ${tuningCachePath()}`;
    else {
      const tuned = autotuneBlocking(isa, 3, caches);
      storeBlocking(key, tuned);
      autotune = `measured now (${tuned.gflops} GFLOP/s on a 784-512-10 step's products), cached in ${tuningCachePath()}`;
    }
    // What a run started now uses: the override, the (new) cached result, or the caches' own.
    blocking = overridden
      ? kernelBlocking(isa)
      : args.autotune === false
        ? blockingFromCaches(caches)
        : (cachedBlocking(key) ?? blockingFromCaches(caches));
  }
  const micro = isa !== null ? resolveMicroKernel(isa, blocking?.micro) : null;
  const micros = isa !== null ? nativeMicroKernels(isa) : [];
  const info = {
    cpu: cpuModelName() || 'unknown',
    caches: {
      l1dBytes: caches.l1dBytes,
      l2Bytes: caches.l2Bytes,
      l3Bytes: caches.l3Bytes,
      l3PerCoreBytes: caches.l3PerCoreBytes,
    },
    backend: backend.name,
    nativeIsas: nativeIsas(),
    microKernel: micro,
    microKernels: micros,
    blocking: blocking && { mc: blocking.mc, kc: blocking.kc, nc: blocking.nc, source: blocking.source },
    autotune,
    threads: availableParallelism(),
  };
  const lines = [
    `cpu:      ${info.cpu}`,
    `caches:   L1d ${kib(caches.l1dBytes)}, L2 ${kib(caches.l2Bytes)}, L3 ${kib(caches.l3Bytes)} (${kib(caches.l3PerCoreBytes)} per core)`,
    `backend:  ${backend.name} (native instruction sets here: ${info.nativeIsas.join(', ') || 'none'})`,
    `micro:    ${micro !== null ? `${micro} (${MICRO_TILE[micro] ?? 'one tile shape'}; here: ${micros.join(', ')}; choose with ${KERNEL_TUNING_ENV_VAR} micro=…); changes speed, never results` : 'none (not a native backend)'}`,
    `blocking: ${blocking ? `mc ${blocking.mc}, kc ${blocking.kc}, nc ${blocking.nc} (from ${blocking.source}); changes speed, never results` : 'none (not a native backend)'}`,
    `autotune: ${autotune}`,
    `threads:  ${info.threads} available`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  return EXIT_OK;
}

/** The `info` command. */
export function infoCommand(setExitCode: (code: number) => void): CommandModule<object, InfoArgs> {
  return {
    command: 'info',
    describe: 'show the CPU, caches, kernel backend, GEMM blocking and threads (autotunes on first use)',
    builder: (y: Argv) =>
      y.options({
        autotune: {
          type: 'boolean',
          describe: 'measure the GEMM blocking again (--no-autotune: do not measure) [on first use]',
        },
        json: { type: 'boolean', default: false, describe: 'also print the facts as one JSON line' },
        kernel: { type: 'string', describe: 'kernel backend [auto]' },
      }) as unknown as Argv<InfoArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
