/** `gradswarm gradcheck` end to end: backprop against float64 centred differences. */
import { describe, expect, it } from 'vitest';
import { expectUsageError, lastJsonLine, runCli } from './helpers/cli.js';

interface GradcheckSummary {
  relativeError: number;
  verdict: string;
  parameters: number;
}

describe('gradswarm gradcheck', () => {
  it('passes on the default network and prints "-> ok"', async () => {
    const result = await runCli(['gradcheck']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/-> ok$/m);
  });

  it('passes with tanh/softmax, L1 and L2 terms and sum reduction', async () => {
    const result = await runCli([
      'gradcheck',
      '--hidden',
      'tanh',
      '--output',
      'softmax',
      '--l1',
      '0.1',
      '--l2',
      '0.2',
      '--reduction',
      'sum',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/tanh\/softmax\+ce/);
    expect(result.stdout).toMatch(/-> ok$/m);
  });

  it('prints a --json line with a relative error below 1e-7', async () => {
    const result = await runCli(['gradcheck', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = lastJsonLine<GradcheckSummary>(result.stdout);
    expect(summary.verdict).toBe('ok');
    expect(summary.relativeError).toBeTypeOf('number');
    expect(summary.relativeError).toBeGreaterThanOrEqual(0);
    expect(summary.relativeError).toBeLessThan(1e-7);
    // 4-5-3: 5*(4+1) + 3*(5+1) parameters.
    expect(summary.parameters).toBe(43);
  });

  describe('options', () => {
    it('refuses --layers that is not a list of positive integers', async () => {
      expectUsageError(
        await runCli(['gradcheck', '--layers', '4,x,3']),
        /--layers must be a comma-separated list of positive integers, got "4,x,3"/,
      );
    });

    it('refuses --layers with only one size', async () => {
      expectUsageError(
        await runCli(['gradcheck', '--layers', '4']),
        /--layers must give at least the input and output sizes/,
      );
    });

    it('refuses a network too large to check', async () => {
      expectUsageError(await runCli(['gradcheck', '--layers', '784,100,10']), /79510 parameters/);
    });
  });
});
