import { describe, expect, it } from 'vitest';
import { optimizerOptionsOf, resolveTrainingOptions } from '../src/training-options.js';

describe('resolveTrainingOptions', () => {
  describe('optimizer', () => {
    it('defaults to sgd, whose options name no Adam field (an sgd run reads as before)', () => {
      const o = resolveTrainingOptions();
      expect(o.optimizer).toBe('sgd');
      expect([o.beta1, o.beta2, o.eps, o.weightDecay]).toEqual([undefined, undefined, undefined, undefined]);
      expect(Object.keys(JSON.parse(JSON.stringify(o)))).not.toContain('beta1');
    });

    it("fills PyTorch's defaults for adam and adamw", () => {
      expect(resolveTrainingOptions({ optimizer: 'adam' })).toMatchObject({
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: undefined,
      });
      expect(resolveTrainingOptions({ optimizer: 'adamw' })).toMatchObject({
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
      });
      expect(optimizerOptionsOf(resolveTrainingOptions({ optimizer: 'adamw', beta2: 0.99, weightDecay: 0.1 }))).toEqual(
        { name: 'adamw', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 },
      );
    });

    it('refuses an unknown optimizer, values out of range and fields of another optimizer', () => {
      expect(() => resolveTrainingOptions({ optimizer: 'lamb' as never })).toThrow(
        'options.optimizer must be one of sgd, adam, adamw, got lamb',
      );
      expect(() => resolveTrainingOptions({ optimizer: 'adam', beta1: 1 })).toThrow(
        'options.beta1 must be in [0, 1), got 1',
      );
      expect(() => resolveTrainingOptions({ optimizer: 'adam', beta2: -0.1 })).toThrow(RangeError);
      expect(() => resolveTrainingOptions({ optimizer: 'adam', eps: 0 })).toThrow(
        'options.eps must be a finite number > 0, got 0',
      );
      expect(() => resolveTrainingOptions({ optimizer: 'adamw', weightDecay: -1 })).toThrow(
        'options.weightDecay must be a finite number >= 0, got -1',
      );
      expect(() => resolveTrainingOptions({ optimizer: 'adamw', eps: '1' as never })).toThrow(TypeError);
      expect(() => resolveTrainingOptions({ beta1: 0.8 })).toThrow(
        'options.beta1 is for adam and adamw, not sgd - help: set options.optimizer or leave options.beta1 out',
      );
      expect(() => resolveTrainingOptions({ weightDecay: 0.1 })).toThrow(/^options.weightDecay is for adamw, not sgd/);
      expect(() => resolveTrainingOptions({ optimizer: 'adam', weightDecay: 0.1 })).toThrow(
        /weightDecay is for adamw \(decoupled weight decay\) - help: use options.optimizer adamw, or options.l2/,
      );
      expect(() => resolveTrainingOptions({ optimizer: 'adamw', nesterov: true })).toThrow(
        'options.nesterov is for sgd, not adamw - help: leave options.nesterov out',
      );
    });
  });
});
