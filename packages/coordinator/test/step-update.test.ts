/**
 * The step's reduction and update shared with a local pool's threads (step-update.ts, core's
 * step-slices.ts) must not change a bit: the same models as this thread alone, and as before
 * the change (hashes of main at eeb8d2a, whose step ran on this thread only).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  availableBackends,
  referenceBackend,
  Rng,
  selectBackend,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { InProcessSource } from '@gradswarm/worker';
import { LocalPool } from '@gradswarm/worker/node';
import { StarReducer, type ReductionInput, type Reducer } from '../src/reducer.js';
import { Trainer } from '../src/trainer.js';
import type { TrainingOptions } from '../src/training-options.js';

const spec: ModelSpec = { layers: [8, 7, 4], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };

function data(count = 61): LabeledSamples {
  const rng = new Rng(3);
  return {
    features: Float32Array.from({ length: count * 8 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(4)),
    count,
    featureCount: 8,
    classCount: 4,
  };
}

const base = { epochs: 2, batchSize: 10, learningRate: 0.3, seed: 4 };
const configs: Record<string, TrainingOptions> = {
  sgd: {},
  l1: { l1: 0.01, l2: 0.02 },
  nesterov: { nesterov: true, momentum: 0.8, l2: 0 },
  adam: { optimizer: 'adam', learningRate: 0.01 },
  adamw: { optimizer: 'adamw', learningRate: 0.01, weightDecay: 0.1, l1: 0.001 },
  rep: { reproducible: 5, l1: 0.01 },
};

/** sha256 (first 16 hex digits) of the weights and the final cost that main at eeb8d2a trained. */
const BEFORE: Record<string, string> = {
  sgd: 'b2515d9f8373bd45 3.569864385742037',
  l1: '6ab2d7e7e5a177b4 3.8013239368113956',
  nesterov: 'fb51c9fb560c5120 3.060375936119567',
  adam: 'af60441e657f90b5 3.3279947570578856',
  adamw: 'bf0aa6e09da467bc 3.3368189080959407',
  rep: '11b45f34a216bb39 3.7320488762274557',
};

/** A reducer other than the star: the slices then finish and step a total it delivered. */
class CopyingReducer implements Reducer {
  readonly name = 'copying';
  private readonly star = new StarReducer();
  reduce(input: ReductionInput) {
    return this.star.reduce(input);
  }
}

interface RunSetup {
  readonly threads: number;
  readonly shared: boolean;
  readonly update?: KernelBackend | null;
  readonly reducer?: Reducer;
}

/** Trains on `threads` pool lanes plus this thread, the pool's threads sharing the update when `shared`. */
async function train(d: LabeledSamples, options: TrainingOptions, setup: RunSetup): Promise<string> {
  const pool = new LocalPool({ spec, data: d, backend: 'reference', threads: setup.threads });
  try {
    const sources = [...pool.lanes, new InProcessSource({ spec, data: d, backend: referenceBackend })];
    const helpers = setup.shared ? pool.helpers : null;
    const trainer = new Trainer(spec, d, sources, options, setup.update ?? null, setup.reducer, helpers);
    const r = await trainer.run();
    const hash = createHash('sha256').update(Buffer.from(r.params.buffer, r.params.byteOffset, r.params.byteLength));
    return `${hash.digest('hex').slice(0, 16)} ${r.finalCost}`;
  } finally {
    await pool.close();
  }
}

describe('the step update shared with the pool threads', () => {
  it("trains main's models before the change, bit for bit, with sgd, nesterov, adam, adamw, l1 and l2", async () => {
    const d = data();
    for (const [name, c] of Object.entries(configs))
      expect(await train(d, { ...base, ...c }, { threads: 2, shared: true }), name).toBe(BEFORE[name]);
  });

  it('trains the same bits shared as alone, on every update backend, for 1 and 3 helper threads and another reducer', async () => {
    const d = data(47);
    // TypeScript, and the C kernels where there are any (the other backends' updates are TypeScript's).
    const updates = [null, ...availableBackends().map((n) => selectBackend(n))].filter((b) => !b || b.sumGradients);
    for (const [name, c] of Object.entries(configs)) {
      const options = { ...base, ...c };
      for (const update of updates) {
        const label = `${name} on ${update?.name ?? 'TypeScript'}`;
        const alone: Record<number, string> = {};
        for (const threads of [1, 3]) {
          alone[threads] = await train(d, options, { threads, shared: false, update });
          const shared = await train(d, options, { threads, shared: true, update });
          expect(shared, `${label}, ${threads} helpers`).toBe(alone[threads]);
        }
        const reducer = new CopyingReducer();
        expect(await train(d, options, { threads: 1, shared: true, update, reducer }), `${label}, reducer`).toBe(
          alone[1],
        );
      }
    }
  }, 240_000);

  it('keeps the weights as they were when the cost diverges, with the update shared', async () => {
    const d = data();
    // Non-finite features make Σℓ NaN on the first step.
    d.features[0] = Number.NaN;
    const pool = new LocalPool({ spec, data: d, backend: 'reference', threads: 1 });
    try {
      const sources = [...pool.lanes, new InProcessSource({ spec, data: d, backend: referenceBackend })];
      const trainer = new Trainer(spec, d, sources, { ...base, batchSize: 61 }, null, undefined, pool.helpers);
      const before = trainer.params.slice();
      await expect(trainer.run()).rejects.toThrow(/the cost became NaN/);
      expect(Buffer.from(trainer.params.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
