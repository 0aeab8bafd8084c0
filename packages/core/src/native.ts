// `@gradswarm/core/native`: the Node-only kernel pieces, re-exports only. The main entry's
// selectBackend() already finds the addon under Node (`#platform`); this subpath is for code that
// drives it directly (benchmarks, the addon's own tests).
export {
  createNativeBackend,
  measureCpuClockHz,
  NATIVE_MIN_WORK,
  nativeIsas,
  nativeMicroKernels,
  nativeUnavailableReason,
  peakFlopPerCycle,
  resolveMicroKernel,
  type NativeBackendOptions,
} from './backends/native.js';
export {
  autotuneBlocking,
  autotuneCandidates,
  cachedBlocking,
  kernelBlocking,
  storeBlocking,
  tuningCachePath,
  tuningKey,
  type TunedBlocking,
} from './backends/kernel-autotune.js';
export {
  blockingFromCaches,
  cpuModelName,
  DEFAULT_BLOCKING,
  KERNEL_TUNING_ENV_VAR,
  MICRO_KERNELS,
  parseKernelTuning,
  readCpuCaches,
  type CpuCaches,
  type KernelBlocking,
  type MicroKernel,
} from './backends/kernel-tuning.js';
