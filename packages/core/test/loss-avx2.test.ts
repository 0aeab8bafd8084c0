/**
 * Issue 15, item 3: native-avx2 computes the sigmoid + BCE output loss four lanes at a time
 * (native/src/loss-avx2.c). It must give the scalar loss's bits, which native-portable runs: the
 * loss, a = σ(z) and delta, over row lengths that leave tails, with |z| up to the exp's
 * two-factor range, ±0, NaN and ±Infinity (those groups go to the scalar code).
 */
import { describe, expect, it } from 'vitest';
import { createNativeBackend, nativeIsas } from '../src/backends/native.js';
import { Rng } from '../src/rng.js';

const isas = nativeIsas();
const hex = (x: Float32Array): string => Buffer.from(x.buffer).toString('hex');

describe.runIf(isas.includes('avx2') && isas.includes('portable'))('native-avx2 sigmoid + BCE loss', () => {
  it('gives the scalar loss, activations and deltas bit for bit', () => {
    const fast = createNativeBackend('avx2', { minWork: 0 })!;
    const scalar = createNativeBackend('portable', { minWork: 0 })!;
    const rng = new Rng(10);
    const special = [0, -0, 690, -690, 700, -745.5, 1e-30, Number.NaN, Infinity, -Infinity, 88, -17];
    for (const [rows, k, scale] of [
      [200, 10, 8],
      [37, 3, 30],
      [5, 7, 1000],
      [3, 1, 700],
      [64, 50, 0.01],
    ] as const) {
      const z = Float32Array.from({ length: rows * k }, (_, i) =>
        i < special.length ? special[i] : rng.uniform(-scale, scale),
      );
      const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % k);
      const [af, df] = [new Float32Array(z.length), new Float32Array(z.length)];
      const [as, ds] = [new Float32Array(z.length), new Float32Array(z.length)];
      const totalFast = fast.outputLoss!('sigmoid', 'bce', z, af, df, rows, k, labels, null, 0);
      const totalScalar = scalar.outputLoss!('sigmoid', 'bce', z, as, ds, rows, k, labels, null, 0);
      expect(Object.is(totalFast, totalScalar), `${rows}x${k}: ${totalFast} vs ${totalScalar}`).toBe(true);
      expect(hex(af), `a ${rows}x${k}`).toBe(hex(as));
      expect(hex(df), `delta ${rows}x${k}`).toBe(hex(ds));
      // Without delta (the loss-only evaluation pass) too.
      const noDelta = fast.outputLoss!('sigmoid', 'bce', z, af, null, rows, k, labels, null, 0);
      expect(Object.is(noDelta, totalScalar)).toBe(true);
    }
  });
});
