/**
 * How the CLI reports failures: expected errors print one line (with a "- help:" hint where one
 * helps) and map to an exit code; only unexpected errors print a stack trace.
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';

export const EXIT_OK = 0;
/** Training failed at run time (non-finite cost, a thread or worker failure, a gradient check "problem"). */
export const EXIT_FAILURE = 1;
/** Bad usage or bad input: flags, data files, model files. */
export const EXIT_USAGE = 2;
/** Stopped by SIGINT/SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A bad flag value or combination, found after yargs' own checks. */
export class UsageError extends GradswarmError {
  constructor(message: string) {
    super(ErrorCode.INVALID_OPTION, message);
    this.name = 'UsageError';
  }
}

/** Option names whose flag is not simply their kebab-case form. */
const OPTION_FLAGS: Record<string, string> = {
  learningRate: 'lr',
  decayKind: 'schedule',
  outerLearningRate: 'outer-lr',
};
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const USAGE_CODES = new Set<string>([
  ErrorCode.DATA_FORMAT,
  ErrorCode.DATA_IO,
  ErrorCode.DATA_SPEC,
  ErrorCode.MODEL_FORMAT,
  ErrorCode.INVALID_OPTION,
  ErrorCode.BACKEND,
  ErrorCode.LISTEN,
  ErrorCode.TLS,
]);

/** The exit code for an error, and the one line to print for it (null: print the stack). */
export function describeError(err: unknown): { exitCode: number; line: string | null } {
  if (err instanceof GradswarmError) {
    return { exitCode: USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILURE, line: err.message };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    // Option validation in the packages throws these with "options.x must be …" messages;
    // the user typed flags, so name the flag.
    return {
      exitCode: EXIT_USAGE,
      line: err.message.replace(/\boptions\.(\w+)/g, (_, name: string) => `--${OPTION_FLAGS[name] ?? kebab(name)}`),
    };
  }
  return { exitCode: EXIT_FAILURE, line: null };
}
