import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.js';
import type { KernelBackend } from '../src/kernel-backend.js';
import { resolveCostOptions } from '../src/cost.js';
import { gradcheckVerdict, gradientCheck } from '../src/gradcheck.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import { fastBackends } from './fixtures/fast-backends.js';
import type {
  HiddenActivation,
  LabeledSamples,
  LossName,
  ModelSpec,
  OutputActivation,
  Reduction,
} from '../src/types.js';

/** ex4's debugInitializeWeights: sin(1..n)/10, deterministic and away from zero. */
function debugData(m: number, features: number, classes: number): LabeledSamples {
  return {
    features: Float32Array.from({ length: m * features }, (_, i) => Math.sin(i + 1) / 10),
    labels: Int32Array.from({ length: m }, (_, i) => (i + 1) % classes),
    count: m,
    featureCount: features,
    classCount: classes,
  };
}

const pairs: Array<[OutputActivation, LossName]> = [
  ['sigmoid', 'bce'],
  ['softmax', 'ce'],
  ['identity', 'mse'],
  ['sigmoid', 'mse'],
];

// Every backend: the fast ones run their own float64 kernels here (fixtures/fast-backends.ts).
const backends: KernelBackend[] = [referenceBackend, ...fastBackends];

describe('gradientCheck', () => {
  for (const backend of backends) {
    for (const hidden of ['sigmoid', 'tanh', 'relu', 'swish'] as HiddenActivation[]) {
      for (const [output, loss] of pairs) {
        for (const reduction of ['mean', 'sum'] as Reduction[]) {
          it(`is below 1e-7 on ${backend.name} for ${hidden} hidden, ${output}+${loss}, ${reduction}, L1 and L2 on`, () => {
            const spec: ModelSpec = { layers: [3, 5, 4, 3], hidden, output, loss };
            const params = new Float64Array(parameterCount(spec.layers));
            initializeParameters(spec.layers, 'glorot', new Rng(42), params);
            const result = gradientCheck(
              backend,
              spec,
              params,
              debugData(5, 3, 3),
              resolveCostOptions({ l1: 0.3, l2: 0.7, reduction }),
            );
            expect(result.relativeError).toBeLessThan(1e-7);
            expect(result.verdict).toBe('ok');
          });
        }
      }
    }
  }

  for (const backend of fastBackends) {
    it(`is below 1e-7 on ${backend.name} for a network wide enough for whole micro-tiles (20-17-10)`, () => {
      const spec: ModelSpec = { layers: [20, 17, 10], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };
      const params = new Float64Array(parameterCount(spec.layers));
      initializeParameters(spec.layers, 'uniform', new Rng(3), params, 1);
      const result = gradientCheck(
        backend,
        spec,
        params,
        debugData(13, 20, 10),
        resolveCostOptions({ l2: 0.1, reduction: 'sum' }),
      );
      expect(result.relativeError).toBeLessThan(1e-7);
    });
  }

  it('reports a problem when backprop forgets the activation derivative', () => {
    const broken: KernelBackend = { ...referenceBackend, name: 'broken', mulActivationPrime: () => {} };
    const spec: ModelSpec = { layers: [3, 4, 3], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };
    const params = new Float64Array(parameterCount(spec.layers));
    initializeParameters(spec.layers, 'uniform', new Rng(1), params, 1);
    const result = gradientCheck(broken, spec, params, debugData(4, 3, 3), resolveCostOptions());
    expect(result.verdict).toBe('problem');
  });
});

describe('gradcheckVerdict', () => {
  it('uses the thresholds 1e-7 and 1e-4', () => {
    expect(gradcheckVerdict(1e-7)).toBe('ok');
    expect(gradcheckVerdict(2e-7)).toBe('warning');
    expect(gradcheckVerdict(1e-4)).toBe('warning');
    expect(gradcheckVerdict(1.1e-4)).toBe('problem');
  });
});
