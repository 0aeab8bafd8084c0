import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { checkObservabilityArgs, parseTraceSteps } from '../src/observability.js';

describe('parseTraceSteps', () => {
  it('reads A:B, A: and :B as 1-based inclusive ranges, and all steps without the flag', () => {
    expect(parseTraceSteps(undefined)).toEqual({ fromStep: 1, toStep: Infinity });
    expect(parseTraceSteps('100:200')).toEqual({ fromStep: 100, toStep: 200 });
    expect(parseTraceSteps('5:')).toEqual({ fromStep: 5, toStep: Infinity });
    expect(parseTraceSteps(':7')).toEqual({ fromStep: 1, toStep: 7 });
    expect(parseTraceSteps('3:3')).toEqual({ fromStep: 3, toStep: 3 });
  });

  it('refuses anything else with one line that says the form', () => {
    for (const bad of ['', ':', '5', '0:3', '4:3', 'a:b', '1:2:3', '-1:4', '1.5:3'])
      expect(() => parseTraceSteps(bad), bad).toThrow(/^--trace-steps must be A:B with 1 <= A <= B/);
    expect(() => parseTraceSteps('4:3')).toThrow(UsageError);
  });
});

describe('checkObservabilityArgs', () => {
  it('refuses --trace-steps without --trace', () => {
    expect(() => checkObservabilityArgs({ traceSteps: '1:2' })).toThrow(/--trace-steps needs --trace FILE\.json/);
    expect(() => checkObservabilityArgs({ trace: 't.json', traceSteps: '1:2' })).not.toThrow();
  });
});
