import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseIntList, resolveLayers } from '../src/parse.js';
import { describeError, EXIT_FAILURE, EXIT_USAGE, UsageError } from '../src/errors.js';
import { DataFormatError, ErrorCode, GradswarmError } from '@gradswarm/core';

describe('parseIntList', () => {
  it('reads comma-separated positive integers', () => {
    expect(parseIntList('layers', '784, 100,10')).toEqual([784, 100, 10]);
  });

  it.each(['', '784,,10', '784,abc', '0,5', '3.5', '-1'])('refuses %j naming the flag', (text) => {
    expect(() => parseIntList('layers', text)).toThrow(/^--layers must be a comma-separated list of positive integers/);
  });
});

describe('resolveLayers', () => {
  it('takes a full list whose ends match the data', () => {
    expect(resolveLayers([784, 100, 10], 784, 10, [100])).toEqual([784, 100, 10]);
    expect(resolveLayers([784, 10], 784, 10, [100])).toEqual([784, 10]);
  });

  it('treats any other list as the hidden sizes', () => {
    expect(resolveLayers([30], 64, 10, [100])).toEqual([64, 30, 10]);
    expect(resolveLayers([256, 64], 784, 10, [100])).toEqual([784, 256, 64, 10]);
  });

  it('uses the default hidden sizes when --layers is absent', () => {
    expect(resolveLayers(undefined, 64, 10, [100])).toEqual([64, 100, 10]);
  });

  it('refuses a list that starts with the input size but does not end with the classes (issue 16 item 7)', () => {
    expect(() => resolveLayers([64, 32], 64, 10, [100])).toThrow(
      /^--layers 64,32 starts with the input size 64, so it is read as the full sizes, but it ends with 32 .* - help: write --layers 64,32,10 \(full sizes\) or --layers 32 \(hidden sizes only\)$/,
    );
    expect(() => resolveLayers([784, 100, 5], 784, 10, [100])).toThrow(
      /--layers 784,100,5,10 \(full sizes\) or --layers 100,5 /,
    );
  });

  it('refuses hidden sizes that end with the class count, saying what they would build (issue 16 item 7)', () => {
    expect(() => resolveLayers([30, 10], 64, 10, [100])).toThrow(
      /^--layers 30,10 does not start with the input size 64, so it is read as hidden sizes and would build 64-30-10-10 - help: write --layers 64,30,10 \(full sizes\) or --layers 30 \(hidden sizes only\)$/,
    );
  });

  it('reads a one-entry list as a hidden size, even when it equals the input or class count', () => {
    expect(resolveLayers([10], 64, 10, [100])).toEqual([64, 10, 10]);
    expect(resolveLayers([64], 64, 10, [100])).toEqual([64, 64, 10]);
  });
});

describe('describeError', () => {
  it('maps input errors to exit 2 with their message and run-time failures to exit 1', () => {
    expect(describeError(new UsageError('bad'))).toEqual({ exitCode: EXIT_USAGE, line: 'bad' });
    expect(describeError(new DataFormatError('f: truncated'))).toEqual({ exitCode: EXIT_USAGE, line: 'f: truncated' });
    expect(describeError(new RangeError('options.batchSize must be y'))).toEqual({
      exitCode: EXIT_USAGE,
      line: '--batch-size must be y',
    });
    expect(describeError(new RangeError('options.learningRate must be > 0'))).toEqual({
      exitCode: EXIT_USAGE,
      line: '--lr must be > 0',
    });
    expect(describeError(new GradswarmError(ErrorCode.NON_FINITE, 'cost NaN'))).toEqual({
      exitCode: EXIT_FAILURE,
      line: 'cost NaN',
    });
    expect(describeError(new GradswarmError(ErrorCode.THREAD_FAILED, 'thread 1 failed'))).toEqual({
      exitCode: EXIT_FAILURE,
      line: 'thread 1 failed',
    });
  });

  it('asks for a stack trace only for unexpected errors', () => {
    expect(describeError(new Error('boom')).line).toBeNull();
  });
});

describe('parseDurationMs', () => {
  it('reads a bare number in the given unit and a number with its own unit', () => {
    expect(parseDurationMs('give-up-after', '10', 'm')).toBe(600_000);
    expect(parseDurationMs('give-up-after', 1.5, 'm')).toBe(90_000);
    expect(parseDurationMs('give-up-after', '90s', 'm')).toBe(90_000);
    expect(parseDurationMs('give-up-after', '500ms', 'm')).toBe(500);
    expect(parseDurationMs('give-up-after', '2h', 'm')).toBe(7_200_000);
    expect(parseDurationMs('give-up-after', '0', 'm')).toBe(0);
  });

  it('refuses anything else with one line naming the flag and what was typed', () => {
    for (const bad of ['', 'ten', '-1', '5 minutes', '1e3', 'Infinity']) {
      expect(() => parseDurationMs('give-up-after', bad, 'm')).toThrow(
        new RegExp(
          `^--give-up-after must be a length of time \\(a number in minutes, or with ms, s, m or h\\), got "${bad}"`,
        ),
      );
    }
  });
});
