import type { StepMessage } from '@gradswarm/protocol';
import { describe, expect, it } from 'vitest';
import { TabCompute } from '../src/tab-compute.js';

describe('TabCompute.serve', () => {
  it('refuses a local-SGD round instead of answering it with a plain gradient', async () => {
    const tab = new TabCompute(1, 'lane.js', new Uint8Array(0));
    const step = {
      type: 'step',
      step: 0,
      version: 0,
      epoch: 0,
      batch: 0,
      shards: [],
      local: {},
    } as unknown as StepMessage;
    await expect(tab.serve(step)).rejects.toThrow(/local-SGD round .* browser tab/);
  });

  it('without a local round, still asks for the data set first', async () => {
    const tab = new TabCompute(1, 'lane.js', new Uint8Array(0));
    const step = { type: 'step', step: 0, version: 0, epoch: 0, batch: 0, shards: [] } as unknown as StepMessage;
    await expect(tab.serve(step)).rejects.toThrow(/before the data set was ready/);
  });
});
