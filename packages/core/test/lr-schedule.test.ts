import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../src/lr-schedule.js';

describe('learningRateAt', () => {
  it('decays η0/(1 + d·epoch) per epoch', () => {
    const o = { learningRate: 0.001, decay: 0.00001, decayUnit: 'epoch' as const };
    expect(learningRateAt(o, 0, 99)).toBe(0.001);
    expect(learningRateAt(o, 1, 0)).toBeCloseTo(0.001 / 1.00001, 15);
    expect(learningRateAt(o, 10, 0)).toBeCloseTo(0.001 / 1.0001, 15);
  });

  it('decays per global step when told', () => {
    const o = { learningRate: 0.5, decay: 0.1, decayUnit: 'step' as const };
    expect([0, 1, 2, 10].map((s) => learningRateAt(o, 7, s))).toEqual([0.5, 0.5 / 1.1, 0.5 / 1.2, 0.25]);
  });

  it("compounds like Raschka's code under decayKind compound", () => {
    const o = { learningRate: 1, decay: 0.5, decayUnit: 'epoch' as const, decayKind: 'compound' as const };
    // epoch 2: 1 / (1.5 · 2.0)
    expect(learningRateAt(o, 2, 0)).toBeCloseTo(1 / 3, 15);
  });
});
