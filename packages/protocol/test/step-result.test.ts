import { describe, expect, it } from 'vitest';
import { checkResultForStep, ProtocolErrorCode as Code, type ResultMessage, type StepMessage } from '../src/index.js';
import { expectProtocolError } from './fixtures/assert.js';
import { validResult, validStep } from './fixtures/messages.js';

describe('checkResultForStep', () => {
  it("accepts one gradient per shard with the shards' counts (reduce 'each')", () => {
    expect(() => checkResultForStep(validStep(), validResult())).not.toThrow();
  });

  it("accepts one summed gradient with the total count (reduce 'sum')", () => {
    const step: StepMessage = { ...validStep(), reduce: 'sum' };
    const result: ResultMessage = { ...validResult(), grads: 1, lossSums: [4], counts: [9] };
    expect(() => checkResultForStep(step, result)).not.toThrow();
  });

  it('refuses a result for another step, request or weights version, or when nothing was asked, as STALE (4004)', () => {
    const err = expectProtocolError(() => checkResultForStep(validStep(), { ...validResult(), step: 8 }), Code.STALE);
    expect(err.message).toBe('stale result for step 8 version 7 while step 7 version 7 was asked');
    expectProtocolError(() => checkResultForStep(validStep(), { ...validResult(), version: 6 }), Code.STALE);
    expectProtocolError(() => checkResultForStep(validStep(), { ...validResult(), request: 2 }), Code.STALE);
    const none = expectProtocolError(() => checkResultForStep(null, validResult()), Code.STALE);
    expect(none.message).toBe('stale result for step 7 version 7 while nothing was asked');
  });

  it('refuses the wrong number of gradients or a count that is not the shard size as INVALID', () => {
    const one: ResultMessage = { ...validResult(), grads: 1, lossSums: [1], counts: [9] };
    expectProtocolError(() => checkResultForStep(validStep(), one), Code.INVALID);
    expectProtocolError(() => checkResultForStep(validStep(), { ...validResult(), counts: [4, 5] }), Code.INVALID);
    expectProtocolError(
      () => checkResultForStep({ ...validStep(), reduce: 'sum' }, { ...one, counts: [8] }),
      Code.INVALID,
    );
  });

  describe('chain steps', () => {
    const chainStep = (): StepMessage => ({
      ...validStep(),
      chain: { round: 3, prev: -1, nextId: -1, chunkFloats: 4 },
    });

    it('accepts statistics without gradients, one per shard', () => {
      const stats: ResultMessage = { ...validResult(), grads: 0 };
      expect(() => checkResultForStep(chainStep(), stats)).not.toThrow();
    });

    it('refuses gradients on a chain step and the wrong number of statistics as INVALID', () => {
      expectProtocolError(() => checkResultForStep(chainStep(), validResult()), Code.INVALID);
      const short: ResultMessage = { ...validResult(), grads: 0, lossSums: [1], counts: [4] };
      expectProtocolError(() => checkResultForStep(chainStep(), short), Code.INVALID);
    });

    it('accepts a failed round only for a chain step', () => {
      const failed: ResultMessage = {
        ...validResult(),
        grads: 0,
        lossSums: [],
        counts: [],
        failed: 'link cut',
        blame: 2,
      };
      expect(() => checkResultForStep(chainStep(), failed)).not.toThrow();
      expectProtocolError(() => checkResultForStep(validStep(), failed), Code.INVALID);
    });
  });
});
