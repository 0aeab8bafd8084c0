import { describe, expect, it } from 'vitest';
import { createWorkspace, gradientSum, lossAndPredictions } from '../src/backprop.js';
import { referenceBackend } from '../src/backends/reference.js';
import { costFromLossSum, resolveCostOptions } from '../src/cost.js';
import type { LabeledSamples, ModelSpec } from '../src/types.js';

// Matt Mazur's step-by-step example, quoted in the digits text: inputs (0.05, 0.1), W1 and W2
// below, published forward values out_o1 = 0.75136507, out_o2 = 0.772928465.
const mazurSpec: ModelSpec = { layers: [2, 2, 2], hidden: 'sigmoid', output: 'sigmoid', loss: 'mse' };
const mazurParams = Float64Array.from([0.35, 0.15, 0.2, 0.35, 0.25, 0.3, 0.6, 0.4, 0.45, 0.6, 0.5, 0.55]);
const mazurData: LabeledSamples = {
  features: Float32Array.from([0.05, 0.1]),
  labels: Int32Array.from([1]),
  count: 1,
  featureCount: 2,
  classCount: 2,
};
const all = { index: null, offset: 0, count: 1 };

describe('lossAndPredictions', () => {
  it('reproduces the published forward pass of the Mazur example', () => {
    const ws = createWorkspace(mazurSpec, 1, Float64Array);
    const predictions = new Int32Array(1);
    const { lossSum } = lossAndPredictions(referenceBackend, mazurParams, mazurData, all, ws, predictions);
    expect(ws.a[2][0]).toBeCloseTo(0.75136507, 8);
    expect(ws.a[2][1]).toBeCloseTo(0.772928465, 8);
    // one-hot target (0, 1): ½(0.75136507² + (1 − 0.772928465)²)
    expect(lossSum).toBeCloseTo(0.5 * (0.75136507 ** 2 + (1 - 0.772928465) ** 2), 8);
    expect(predictions[0]).toBe(1);
  });

  it('computes the bce cost of a tiny net exactly as the formula by hand', () => {
    const spec: ModelSpec = { ...mazurSpec, loss: 'bce' };
    const [x1, x2] = [Math.fround(0.05), Math.fround(0.1)]; // features are stored as float32
    const h1 = 1 / (1 + Math.exp(-(0.35 + 0.15 * x1 + 0.2 * x2)));
    const h2 = 1 / (1 + Math.exp(-(0.35 + 0.25 * x1 + 0.3 * x2)));
    const o1 = 1 / (1 + Math.exp(-(0.6 + 0.4 * h1 + 0.45 * h2)));
    const o2 = 1 / (1 + Math.exp(-(0.6 + 0.5 * h1 + 0.55 * h2)));
    const byHand = -Math.log(1 - o1) - Math.log(o2);
    const ws = createWorkspace(spec, 1, Float64Array);
    const { lossSum } = lossAndPredictions(referenceBackend, mazurParams, mazurData, all, ws);
    expect(lossSum).toBeCloseTo(byHand, 14);
    // with λ2 = 1 and the mean over m = 1: + ½ Σ non-bias w²
    const reg = 0.5 * (0.15 ** 2 + 0.2 ** 2 + 0.25 ** 2 + 0.3 ** 2 + 0.4 ** 2 + 0.45 ** 2 + 0.5 ** 2 + 0.55 ** 2);
    expect(costFromLossSum(spec.layers, mazurParams, lossSum, 1, resolveCostOptions({ l2: 1 }))).toBeCloseTo(
      byHand + reg,
      14,
    );
  });
});

describe('gradientSum', () => {
  it('gives the Mazur example its published output-layer gradient ∂E/∂w5 = 0.082167041 (target 0.01, 0.99 aside)', () => {
    // With one-hot target (0, 1) the same formula by hand: (o1 − 0)·o1(1 − o1)·out_h1.
    const ws = createWorkspace(mazurSpec, 1, Float64Array);
    const grad = new Float64Array(12);
    gradientSum(referenceBackend, mazurParams, mazurData, all, grad, ws);
    const o1 = 0.75136507;
    const outH1 = 0.593269992;
    expect(grad[7]).toBeCloseTo(o1 * o1 * (1 - o1) * outH1, 8);
    expect(grad[6]).toBeCloseTo(o1 * o1 * (1 - o1), 8); // bias of o1
  });

  it('sums over shards to the gradient of the whole batch', () => {
    const spec: ModelSpec = { layers: [3, 4, 2], hidden: 'tanh', output: 'softmax', loss: 'ce' };
    const params = Float32Array.from({ length: 4 * 4 + 2 * 5 }, (_, i) => Math.sin(i + 1) / 2);
    const data: LabeledSamples = {
      features: Float32Array.from({ length: 7 * 3 }, (_, i) => Math.cos(i) / 3),
      labels: Int32Array.from([0, 1, 1, 0, 1, 0, 0]),
      count: 7,
      featureCount: 3,
      classCount: 2,
    };
    const index = Uint32Array.from([6, 2, 5, 0, 1, 3, 4]);
    const whole = new Float32Array(params.length);
    const parts = new Float32Array(params.length);
    const ws = createWorkspace(spec, 3); // capacity 3 < 7 exercises blocking too
    const a = gradientSum(referenceBackend, params, data, { index, offset: 0, count: 7 }, whole, ws);
    const b1 = gradientSum(referenceBackend, params, data, { index, offset: 0, count: 4 }, parts, ws);
    const b2 = gradientSum(referenceBackend, params, data, { index, offset: 4, count: 3 }, parts, ws, true);
    expect(b1.lossSum + b2.lossSum).toBeCloseTo(a.lossSum, 5);
    for (let i = 0; i < params.length; i++) expect(parts[i]).toBeCloseTo(whole[i], 5);
  });
});
