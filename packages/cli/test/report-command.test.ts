import { describe, expect, it } from 'vitest';
import { defaultReportPath } from '../src/commands/report.js';

describe('defaultReportPath', () => {
  it('puts the report beside a .json input', () => {
    expect(defaultReportPath('runs/metrics.json')).toBe('runs/metrics.html');
    expect(defaultReportPath('bench.out')).toBe('bench.out.html');
  });
});
