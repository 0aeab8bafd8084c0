import { describe, expect, it } from 'vitest';
import { lrScheduleOf, optimizerOptionsOf, resolveTrainingOptions } from '../src/training-options.js';

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
        'options.optimizer must be one of sgd, adam, adamw, cg, lbfgs, tnc, got lamb',
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

  describe('learning-rate schedule (issue 14 item 4)', () => {
    it('adds no field to the options of a run without the new settings (old checkpoints still match)', () => {
      const keys = Object.keys(JSON.parse(JSON.stringify(resolveTrainingOptions({ warmupSteps: 0 }))));
      for (const key of ['stepSize', 'gamma', 'warmupSteps']) expect(keys).not.toContain(key);
    });

    it('resolves step with its γ default, cosine over the run, and warm-up', () => {
      const step = resolveTrainingOptions({ decayKind: 'step', stepSize: 4 });
      expect([step.stepSize, step.gamma]).toEqual([4, 0.1]);
      const cosine = resolveTrainingOptions({ decayKind: 'cosine', epochs: 5, warmupSteps: 10 });
      expect(lrScheduleOf(cosine, 30)).toMatchObject({ decayKind: 'cosine', cosineUnits: 5, warmupSteps: 10 });
      const bySteps = resolveTrainingOptions({ decayKind: 'cosine', epochs: 5, decayUnit: 'step' });
      expect(lrScheduleOf(bySteps, 30).cosineUnits).toBe(150);
    });

    it('refuses step without a step size, step settings on another schedule, and bad values', () => {
      expect(() => resolveTrainingOptions({ decayKind: 'step' })).toThrow(
        /options.decayKind step needs options.stepSize/,
      );
      expect(() => resolveTrainingOptions({ gamma: 0.5 })).toThrow('options.gamma is for the step schedule');
      expect(() => resolveTrainingOptions({ decayKind: 'step', stepSize: 2, gamma: 1.5 })).toThrow(
        'options.gamma must be in (0, 1], got 1.5',
      );
      expect(() => resolveTrainingOptions({ warmupSteps: -1 })).toThrow(
        'options.warmupSteps must be a non-negative integer',
      );
      expect(() => resolveTrainingOptions({ decayKind: 'linear' as never })).toThrow(
        'options.decayKind must be one of inverse, compound, step, cosine, got linear',
      );
    });
  });
});
