/**
 * Backend selection. `auto` picks the fastest backend that loads on this machine and falls back
 * to the reference; `GRADSWARM_KERNEL=<name>` forces one. Faster backends register themselves
 * here as they are added; asking for one that is not available is an error, never a silent
 * fallback, so a benchmark cannot measure the wrong thing.
 */
import { referenceBackend } from './backends/reference.js';
import { KERNEL_ENV_VAR } from './constants.js';
import { ErrorCode, GradswarmError } from './errors.js';
import type { KernelBackend } from './kernel-backend.js';

const registry = new Map<string, () => KernelBackend | null>([['reference', () => referenceBackend]]);
/** Preference order for `auto`, fastest first. */
const autoOrder: string[] = ['reference'];

/** Names of the backends known to this build (whether or not they load here). */
export function knownBackends(): string[] {
  return [...registry.keys()];
}

/**
 * The backend to use: `name` if given, else $GRADSWARM_KERNEL, else `auto`.
 * @throws GradswarmError GS_ERR_BACKEND if the named backend is unknown or cannot load here
 */
export function selectBackend(name?: string): KernelBackend {
  const wanted = name ?? process.env[KERNEL_ENV_VAR] ?? 'auto';
  if (wanted === 'auto') {
    for (const candidate of autoOrder) {
      const backend = registry.get(candidate)?.();
      if (backend) return backend;
    }
    return referenceBackend;
  }
  const loader = registry.get(wanted);
  if (!loader) {
    throw new GradswarmError(
      ErrorCode.BACKEND,
      `unknown kernel backend "${wanted}" - help: use one of auto, ${knownBackends().join(', ')}`,
    );
  }
  const backend = loader();
  if (!backend) {
    throw new GradswarmError(ErrorCode.BACKEND, `kernel backend "${wanted}" is not available on this machine - help: use auto or reference`);
  }
  return backend;
}
