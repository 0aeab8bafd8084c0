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

describe('learningRateAt: schedules and warm-up (issue 14 item 4)', () => {
  // The formula before schedules had a choice, copied here: runs without the new options must keep these bits.
  const before = (o: { learningRate: number; decay: number; decayKind?: string }, t: number): number => {
    if (o.decayKind === 'compound') {
      let eta = o.learningRate;
      for (let s = 1; s <= t; s++) eta /= 1 + o.decay * s;
      return eta;
    }
    return o.learningRate / (1 + o.decay * t);
  };

  it('computes inverse and compound bit for bit as before when no warm-up is set', () => {
    for (const decayKind of ['inverse', 'compound'] as const) {
      for (const [learningRate, decay] of [
        [0.05, 0.05],
        [0.001, 0.00001],
        [0.1, 0.3],
      ]) {
        for (const decayUnit of ['epoch', 'step'] as const) {
          for (let t = 0; t < 60; t++) {
            const o = { learningRate, decay, decayUnit, decayKind, warmupSteps: 0 };
            const [epoch, step] = decayUnit === 'epoch' ? [t, 7 * t + 3] : [Math.floor(t / 7), t];
            expect(Object.is(learningRateAt(o, epoch, step), before(o, t))).toBe(true);
          }
        }
      }
    }
  });

  it('step multiplies by gamma every stepSize units', () => {
    const o = { learningRate: 0.8, decay: 0, decayUnit: 'epoch' as const, decayKind: 'step' as const, stepSize: 3 };
    const g = { ...o, gamma: 0.5 };
    expect([0, 1, 2, 3, 5, 6, 9].map((e) => learningRateAt(g, e, 0))).toEqual([0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.1]);
    // gamma defaults to 0.1 (PyTorch's StepLR).
    expect(learningRateAt(o, 3, 0)).toBeCloseTo(0.08, 15);
    const bySteps = { ...g, decayUnit: 'step' as const, stepSize: 100 };
    expect([0, 99, 100, 250].map((s) => learningRateAt(bySteps, 0, s))).toEqual([0.8, 0.8, 0.4, 0.2]);
  });

  it('cosine falls from η0 to η0/2 at mid-run towards 0 at the end', () => {
    const o = { learningRate: 1, decay: 0, decayUnit: 'epoch' as const, decayKind: 'cosine' as const, cosineUnits: 4 };
    const got = [0, 1, 2, 3, 4].map((e) => learningRateAt(o, e, 0));
    const hand = [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2, 0];
    got.forEach((v, i) => expect(v).toBeCloseTo(hand[i], 15));
    const steps = { ...o, decayUnit: 'step' as const, cosineUnits: 1000 };
    expect(learningRateAt(steps, 0, 500)).toBeCloseTo(0.5, 15);
  });

  it('warm-up scales η by (s + 1)/W for the first W global steps, on top of the schedule', () => {
    const o = { learningRate: 0.2, decay: 0.5, decayUnit: 'epoch' as const, warmupSteps: 4 };
    const hand = [0.05, 0.1, 0.15, 0.2, 0.2, 0.2];
    [0, 1, 2, 3, 4, 100].forEach((s, i) => expect(learningRateAt(o, 0, s)).toBeCloseTo(hand[i], 15));
    // At epoch 1 the inverse schedule gives 0.2/1.5; warm-up still applies by the global step.
    expect(learningRateAt(o, 1, 1)).toBeCloseTo((0.2 / 1.5) * 0.5, 15);
    expect(learningRateAt(o, 1, 9)).toBe(0.2 / 1.5);
  });
});
