import {
  forwardOutputs,
  initializeParameters,
  parameterCount,
  referenceBackend,
  Rng,
  selectBackend,
  type HiddenActivation,
  type Model,
  type ModelSpec,
} from '@gradswarm/core';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelToOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../src/onnx-export.js';
import { ModelProto } from '../src/onnx-schema.js';

const OUTPUTS: Array<Pick<ModelSpec, 'output' | 'loss'>> = [
  { output: 'softmax', loss: 'ce' },
  { output: 'sigmoid', loss: 'bce' },
  { output: 'identity', loss: 'mse' },
];
const HIDDEN: HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'swish'];
const ROWS = 37;

function randomModel(spec: ModelSpec, seed: number, scaled: boolean): Model {
  const params = new Float32Array(parameterCount(spec.layers));
  initializeParameters(spec.layers, 'glorot', new Rng(seed), params);
  const rng = new Rng(seed + 100);
  // Non-zero biases, so a bias put in the wrong place shows.
  for (let i = 0; i < params.length; i++) params[i] += Math.fround((rng.nextFloat() - 0.5) * 0.2);
  const n = spec.layers[0];
  const scaling = scaled
    ? {
        kind: 'standard' as const,
        offset: Array.from({ length: n }, () => rng.nextFloat()),
        factor: Array.from({ length: n }, () => 0.5 + rng.nextFloat() * 2),
      }
    : undefined;
  return { spec, params, ...(scaling ? { scaling } : {}) };
}

function gradswarmOutputs(model: Model, x: Float32Array, backend = referenceBackend): Float32Array {
  const n = model.spec.layers[0];
  const s = model.scaling;
  const scaled = s ? x.map((v, i) => (v - s.offset[i % n]) * s.factor[i % n]) : x;
  return forwardOutputs(backend, model.spec, model.params, scaled, x.length / n);
}

async function onnxOutputs(model: Model, x: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelToOnnx(model));
  const result = await session.run({
    [ONNX_INPUT]: new ort.Tensor('float32', x, [x.length / model.spec.layers[0], model.spec.layers[0]]),
  });
  return result[ONNX_OUTPUT].data as Float32Array;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('modelToOnnx', () => {
  let seed = 1;
  for (const hidden of HIDDEN) {
    for (const out of OUTPUTS) {
      for (const scaled of [false, true]) {
        const spec: ModelSpec = { layers: [7, 9, 5, 4], hidden, ...out };
        it(`runs in onnxruntime with gradswarm's outputs: ${hidden} hidden, ${out.output} output${scaled ? ', scaled input' : ''}`, async () => {
          const model = randomModel(spec, seed++, scaled);
          const rng = new Rng(seed + 1000);
          const x = Float32Array.from({ length: ROWS * 7 }, () => (rng.nextFloat() - 0.5) * 4);
          const onnx = await onnxOutputs(model, x);
          expect(onnx.length).toBe(ROWS * 4);
          expect(maxAbsDiff(onnx, gradswarmOutputs(model, x))).toBeLessThanOrEqual(1e-5);
          // The same bound against the fast kernels gradswarm picks by default.
          expect(maxAbsDiff(onnx, gradswarmOutputs(model, x, selectBackend()))).toBeLessThanOrEqual(1e-5);
        });
      }
    }
  }

  it('writes the documented graph: scaling first, a Gemm and an activation per layer, class names as metadata', () => {
    const model = {
      ...randomModel({ layers: [3, 4, 2], hidden: 'relu', output: 'softmax', loss: 'ce' }, 9, true),
      classNames: ['no', 'yes'],
    };
    const decoded = ModelProto.toObject(ModelProto.decode(modelToOnnx(model)), { longs: Number }) as {
      opsetImport: { version: number }[];
      metadataProps: { key: string; value: string }[];
      graph: { node: { opType: string }[]; initializer: { name: string; dims: number[] }[] };
    };
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Sub', 'Mul', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
    expect(decoded.graph.initializer.map((t) => [t.name, t.dims])).toEqual([
      ['scaling_offset', [3]],
      ['scaling_factor', [3]],
      ['layer1_W', [4, 3]],
      ['layer1_b', [4]],
      ['layer2_W', [2, 4]],
      ['layer2_b', [2]],
    ]);
    expect(decoded.opsetImport[0].version).toBe(17);
    expect(decoded.metadataProps).toEqual([{ key: 'class_names', value: '["no","yes"]' }]);
  });
});
