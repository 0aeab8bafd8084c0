import { describe, expect, it } from 'vitest';
import { describeFinalCost, FinalCostTracker } from '../src/final-cost.js';

describe('FinalCostTracker (issue 16 item 8)', () => {
  it("is the last finished epoch's mean, named by its epoch", () => {
    const t = new FinalCostTracker();
    for (const c of [4, 2]) t.step(0, c);
    t.epochEnd(0, 3);
    for (const c of [1, 0.5]) t.step(1, c);
    t.epochEnd(1, 0.75);
    expect(t.result()).toEqual({ cost: 0.75, epoch: 2, complete: true });
    expect(describeFinalCost(t.result()!)).toBe('0.75000 (mean of epoch 2)');
  });

  it('is the mean of the steps of an epoch the run stopped inside', () => {
    const t = new FinalCostTracker();
    t.step(0, 2);
    t.epochEnd(0, 2);
    for (const c of [1, 3]) t.step(1, c);
    expect(t.result()).toEqual({ cost: 2, epoch: 2, complete: false });
    expect(describeFinalCost(t.result()!)).toBe('2.00000 (mean of epoch 2, stopped inside it)');
  });

  it('is null before any step', () => {
    expect(new FinalCostTracker().result()).toBeNull();
  });
});
