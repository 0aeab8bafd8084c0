/**
 * Backend selection. `auto` picks the fastest backend that loads on this machine (native, then
 * WebAssembly SIMD, then reference); `GRADSWARM_KERNEL=<name>` forces one. `native` means the
 * best instruction set of the addon here, `native-avx2` and `native-portable` name one; `wasm` is
 * `wasm-simd`. The name a backend reports is always the precise one, so threads given that name
 * load the same kernels. Asking for a backend that is not available is an error, never a silent
 * fallback, so a benchmark cannot measure the wrong thing. The native addon, the wasm file and the
 * environment come from `#platform` (backends/platform.ts): under Node all three, in a browser
 * none (there `auto` is reference; the wasm backend is built from fetched bytes with
 * createWasmBackend({ bytes })).
 */
import { platform } from '#platform';
import { referenceBackend } from './backends/reference.js';
import { createWasmBackend, wasmUnavailableReason } from './backends/wasm.js';
import { ErrorCode, GradswarmError } from './errors.js';
import type { KernelBackend } from './kernel-backend.js';

export { createWasmBackend, WASM_MIN_WORK, type WasmBackendOptions } from './backends/wasm.js';

interface BackendEntry {
  readonly load: () => KernelBackend | null;
  /** Why load() returns null here, with a "- help:" hint. */
  readonly reason: () => string;
}

const cache = new Map<string, KernelBackend | null>();
/** The native backend for one instruction set, created once per thread. */
function native(isa: string): BackendEntry {
  const name = `native-${isa}`;
  return {
    load: () => {
      if (!cache.has(name)) cache.set(name, platform.createNativeBackend(isa));
      return cache.get(name) ?? null;
    },
    reason: () => platform.nativeUnavailableReason(isa) ?? '',
  };
}

const wasm: BackendEntry = {
  load: () => {
    if (!cache.has('wasm-simd')) cache.set('wasm-simd', createWasmBackend());
    return cache.get('wasm-simd') ?? null;
  },
  reason: () => wasmUnavailableReason() ?? '',
};

const registry = new Map<string, BackendEntry>([
  // `native` is whichever instruction set is best here; it returns that backend itself.
  [
    'native',
    {
      load: () => (platform.nativeIsas().length > 0 ? native(platform.nativeIsas()[0]).load() : null),
      reason: () => platform.nativeUnavailableReason() ?? '',
    },
  ],
  ['native-avx2', native('avx2')],
  ['native-portable', native('portable')],
  // `wasm` and the name it reports, `wasm-simd`, are one backend, created once per thread.
  ['wasm', wasm],
  ['wasm-simd', wasm],
  ['reference', { load: () => referenceBackend, reason: () => '' }],
]);
/** Preference order for `auto`, fastest first. */
const autoOrder: string[] = ['native', 'wasm', 'reference'];

/** Names of the backends known to this build (whether or not they load here). */
export function knownBackends(): string[] {
  return [...registry.keys()];
}

/** Names of the backends that load on this machine, in `auto`'s order of preference. */
export function availableBackends(): string[] {
  return [...registry.keys()].filter((name) => registry.get(name)?.load() != null);
}

/**
 * The backend to use: `name` if given, else $GRADSWARM_KERNEL, else `auto`.
 * @throws GradswarmError GS_ERR_BACKEND if the named backend is unknown or cannot load here
 */
export function selectBackend(name?: string): KernelBackend {
  const wanted = name ?? platform.kernelFromEnv() ?? 'auto';
  if (wanted === 'auto') {
    for (const candidate of autoOrder) {
      const backend = registry.get(candidate)?.load();
      if (backend) return backend;
    }
    return referenceBackend;
  }
  const entry = registry.get(wanted);
  if (!entry) {
    throw new GradswarmError(
      ErrorCode.BACKEND,
      `unknown kernel backend "${wanted}" - help: use one of auto, ${knownBackends().join(', ')}`,
    );
  }
  const backend = entry.load();
  if (!backend) {
    const why = entry.reason();
    throw new GradswarmError(
      ErrorCode.BACKEND,
      `kernel backend "${wanted}" is not available on this machine: ${why || 'it did not load - help: use auto or reference'}`,
    );
  }
  return backend;
}
