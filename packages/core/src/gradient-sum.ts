/**
 * The sum at the heart of a reduction: shard gradients added in the order given, so the total
 * (and the trained model) never depends on which shard arrived first. The coordinator's star
 * reducer runs it over the shard results of a step, in shard order.
 */
import type { KernelBackend } from './kernel-backend.js';

/**
 * out = parts[0] + parts[1] + … (float adds, in that order); zeros for no parts. parts[0] may be
 * `out` itself (summing in place).
 * @param backend uses its `sumGradients` when it has one (same bits; null: TypeScript)
 * @throws RangeError if a part is not as long as out
 */
export function sumGradients(
  parts: readonly Float32Array[],
  out: Float32Array,
  backend: KernelBackend | null = null,
): void {
  const P = out.length;
  if (parts.some((p) => p.length !== P))
    throw new RangeError(`sumGradients: parts ${parts.map((p) => p.length).join(',')} must each hold ${P} values`);
  if (backend?.sumGradients) {
    backend.sumGradients(parts, out);
    return;
  }
  if (parts.length === 0) out.fill(0);
  else if (parts[0] !== out) out.set(parts[0]);
  for (let s = 1; s < parts.length; s++) {
    const p = parts[s];
    for (let i = 0; i < P; i++) out[i] += p[i];
  }
}
