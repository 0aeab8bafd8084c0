import { describe, expect, it } from 'vitest';
import { GradswarmError } from '../src/errors.js';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import { modelFromJson, modelToJson } from '../src/serialize.js';
import type { ModelSpec } from '../src/types.js';

const spec: ModelSpec = { layers: [4, 3, 2], hidden: 'tanh', output: 'softmax', loss: 'ce' };

function randomModel() {
  const params = new Float32Array(parameterCount(spec.layers));
  initializeParameters(spec.layers, 'glorot', new Rng(3), params);
  params[0] = 1e-30;
  params[1] = -3.4028234663852886e38;
  return { spec, params };
}

describe('modelToJson / modelFromJson', () => {
  it('round-trips every float32 bit and the spec', () => {
    const model = randomModel();
    const text = modelToJson(model);
    const back = modelFromJson(text);
    expect(back.spec).toEqual(spec);
    expect(Buffer.from(back.params.buffer)).toEqual(Buffer.from(model.params.buffer));
    expect(modelToJson(back)).toBe(text);
  });

  it('writes the documented layout: weights[l] is W_{l+1} row-major with the bias in column 0', () => {
    const doc = JSON.parse(modelToJson(randomModel()));
    expect(doc).toMatchObject({
      format: 'gradswarm-mlp',
      version: 1,
      layers: [4, 3, 2],
      hidden: 'tanh',
      output: 'softmax',
      loss: 'ce',
    });
    expect(doc.weights.map((w: number[]) => w.length)).toEqual([3 * 5, 2 * 4]);
  });

  const bad: Array<[string, (d: Record<string, unknown>) => void, RegExp]> = [
    ['a wrong format', (d) => (d.format = 'other'), /"format" must be "gradswarm-mlp"/],
    ['an unknown version', (d) => (d.version = 2), /unsupported version 2/],
    ['a bad layer size', (d) => (d.layers = [4, 0, 2]), /layers must be integers/],
    [
      'a wrong matrix size',
      (d) => ((d.weights as number[][])[1] = [1, 2]),
      /weights\[1\] must hold 2x4 = 8 numbers, got 2 values/,
    ],
    [
      'a non-finite weight',
      (d) => ((d.weights as unknown[][])[0][3] = null),
      /weights\[0\]\[3\] is not a finite number/,
    ],
    ['an output that does not fit the loss', (d) => (d.loss = 'bce'), /loss bce does not go with output softmax/],
  ];
  for (const [what, mutate, message] of bad) {
    it(`refuses ${what} with GS_ERR_MODEL_FORMAT`, () => {
      const doc = JSON.parse(modelToJson(randomModel()));
      mutate(doc);
      let err: unknown;
      try {
        modelFromJson(JSON.stringify(doc), 'm.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GradswarmError);
      expect((err as GradswarmError).code).toBe('GS_ERR_MODEL_FORMAT');
      expect((err as Error).message).toMatch(/^m\.json: /);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('round-trips the input scaling and refuses one of the wrong length', () => {
    const model = {
      ...randomModel(),
      scaling: { kind: 'standard' as const, offset: [0, 1, 2, 3], factor: [1, 0.5, 0.25, 2] },
    };
    expect(modelFromJson(modelToJson(model)).scaling).toEqual(model.scaling);
    const doc = JSON.parse(modelToJson(model));
    doc.scaling.factor = [1];
    expect(() => modelFromJson(JSON.stringify(doc), 'm.json')).toThrow(
      'm.json: scaling.factor must hold 4 finite numbers, one per input',
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => modelFromJson('{nope', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });
});
