import { describe, expect, it } from 'vitest';
import { initializeParameters, parameterCount } from '../src/mlp.js';
import { Rng } from '../src/rng.js';
import { modelFromJson, modelToJson } from '../src/serialize.js';
import type { ModelSpec } from '../src/types.js';

const spec: ModelSpec = { layers: [4, 3, 2], hidden: 'tanh', output: 'softmax', loss: 'ce' };
const params = new Float32Array(parameterCount(spec.layers));
initializeParameters(spec.layers, 'glorot', new Rng(5), params);
const meta = {
  cost: { l1: 0, l2: 0.5, reduction: 'mean' as const },
  classNames: ['cat', 'dog'],
  image: { width: 2, height: 2 },
  trainedOn: { name: 'csv:pets.csv', fingerprint: 'ab'.repeat(32) },
};

describe('model metadata', () => {
  it('round-trips cost options, class names, image shape and the training fingerprint', () => {
    const text = modelToJson({ spec, params, ...meta });
    const back = modelFromJson(text);
    expect(back).toMatchObject(meta);
    expect(modelToJson(back)).toBe(text);
  });

  it('leaves a model without metadata byte-identical to the format before it', () => {
    const text = modelToJson({ spec, params });
    expect(Object.keys(JSON.parse(text))).toEqual([
      'format',
      'version',
      'layers',
      'hidden',
      'output',
      'loss',
      'weights',
    ]);
    const back = modelFromJson(text);
    expect(back.classNames).toBeUndefined();
    expect(modelToJson(back)).toBe(text);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['too few class names', { classNames: ['cat'] }, /"classNames" must hold 2 strings/],
    ['a non-string class name', { classNames: ['cat', 3] }, /"classNames" must hold 2 strings/],
    ['an image that does not match the inputs', { image: { width: 3, height: 2 } }, /width×height = 4 inputs/],
    ['a negative l2', { cost: { l1: 0, l2: -1, reduction: 'mean' } }, /"cost" must be/],
    ['a short fingerprint', { trainedOn: { name: 'x', fingerprint: 'abc' } }, /"trainedOn" must be/],
  ];
  for (const [what, patch, message] of bad) {
    it(`refuses ${what}`, () => {
      const doc = { ...JSON.parse(modelToJson({ spec, params })), ...patch };
      expect(() => modelFromJson(JSON.stringify(doc), 'm.json')).toThrow(message);
    });
  }
});
