import { describe, expect, it } from 'vitest';
import { measureRun, perInnerStep, roundRecords, type StepTiming } from '../src/measure.js';

const round = (totalMs: number, bytes: number): StepTiming => ({
  totalMs,
  computeMaxMs: totalMs / 2,
  computeMeanMs: totalMs / 4,
  reduceUpdateMs: 1,
  sentBytes: bytes,
  receivedBytes: 2 * bytes,
});

describe('roundRecords', () => {
  it('cuts rounds of H batches as the trainer does: across epoch ends, stopping at the steps asked', () => {
    // 2500 samples at batch 1000: 1000, 1000, 500 per epoch.
    expect(roundRecords(2500, 1000, 7, 2)).toEqual([
      { steps: 2, samples: 2000 },
      { steps: 2, samples: 1500 },
      { steps: 2, samples: 1500 },
      { steps: 1, samples: 1000 },
    ]);
    expect(roundRecords(2500, 1000, 8, 5)).toEqual([
      { steps: 5, samples: 4500 },
      { steps: 3, samples: 2500 },
    ]);
    expect(roundRecords(2500, 1000, 2, 1)).toEqual([
      { steps: 1, samples: 1000 },
      { steps: 1, samples: 1000 },
    ]);
  });
});

describe('perInnerStep', () => {
  it('divides a round’s time, its parts and its bytes by H; samples/s is unchanged', () => {
    const timing = [round(800, 4000), round(400, 1600), round(400, 1600)];
    const rounds = measureRun(timing, 1, [4000, 4000, 4000]);
    const inner = perInnerStep(rounds, 4);
    expect(inner.samplesPerSecond).toBe(rounds.samplesPerSecond);
    expect(inner.stepMs).toEqual({
      totalMs: 100,
      computeMaxMs: 50,
      computeMeanMs: 25,
      reduceUpdateMs: 0.25,
      communicationMs: 49.75,
    });
    expect(inner.bytesPerStep).toEqual({ sent: 400, received: 800 });
    expect(inner.measuredSteps).toBe(8);
    expect(inner.samplesPerStep).toBe(1000);
    expect(perInnerStep(rounds, 1)).toBe(rounds);
  });
});
