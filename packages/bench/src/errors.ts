/** The bench's errors; the CLI maps them to exit codes by their code, like every GradswarmError. */
import { ErrorCode, GradswarmError } from '@gradswarm/core';

/** Exit status of a benchmark stopped by SIGINT/SIGTERM (128 + SIGINT), as the CLI's. */
export const EXIT_INTERRUPTED = 130;

/** A bad benchmark option, or a child's refusal of one: code GS_ERR_INVALID_OPTION (exit 2). */
export class UsageError extends GradswarmError {
  constructor(message: string) {
    super(ErrorCode.INVALID_OPTION, message);
    this.name = 'UsageError';
  }
}

/**
 * A benchmark could not measure: a child process (coordinator, worker, `train`) failed or timed
 * out, or its output could not be read. Code GS_ERR_BENCH (exit 1).
 */
export class BenchError extends GradswarmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BENCH, message, options);
    this.name = 'BenchError';
  }
}
