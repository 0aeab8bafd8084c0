import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.js';
import { createWorkspace, lossAndPredictions } from '../src/backprop.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { forwardOutputs, topClasses } from '../src/predict.js';
import { Rng } from '../src/rng.js';
import type { ModelSpec } from '../src/types.js';

describe('forwardOutputs', () => {
  it('gives softmax rows that sum to 1 and whose arg-max is the evaluation prediction, across blocks', () => {
    const spec: ModelSpec = { layers: [3, 5, 4], hidden: 'relu', output: 'softmax', loss: 'ce' };
    const params = new Float32Array(parameterCount(spec.layers));
    initializeParameters(spec.layers, 'he', new Rng(1), params);
    const count = 2500; // three blocks of at most 1000 rows
    const rng = new Rng(2);
    const features = Float32Array.from({ length: count * 3 }, () => rng.nextFloat() * 2 - 1);
    const out = forwardOutputs(referenceBackend, spec, params, features, count);
    const predictions = new Int32Array(count);
    const data = { features, labels: new Int32Array(count), count, featureCount: 3, classCount: 1 };
    lossAndPredictions(
      referenceBackend,
      params,
      data,
      { index: null, offset: 0, count },
      createWorkspace(spec, count),
      predictions,
    );
    for (let r = 0; r < count; r++) {
      const row = out.subarray(r * 4, r * 4 + 4);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(topClasses(row, 1)[0].index).toBe(predictions[r]);
    }
  });
});

describe('topClasses', () => {
  it('ranks largest first and keeps the lower class first on ties', () => {
    expect(topClasses([0.1, 0.4, 0.4, 0.1], 3).map((c) => c.index)).toEqual([1, 2, 0]);
  });
});
