/**
 * Where the trainer gets its gradient sources each step. A fixed list (the single-machine
 * trainer) or live membership (the coordinator: local lanes plus the remote workers that have
 * joined). The trainer reports a source that failed a shard; a failure is recoverable (the shard
 * is recomputed by another source within the same step) only if its error says so.
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import type { GradientSource } from '@gradswarm/worker';

export interface SourceProvider {
  /** Sources to use for the next step, in a fixed order (shards are summed in this order). */
  active(): readonly GradientSource[];
  /** A source failed; it gets no more shards. */
  failed(source: GradientSource, error: unknown): void;
  /** Resolves once a source is active again; rejects when the run cannot go on. */
  waitForSource(): Promise<void>;
  /**
   * Optional: whether a source's results are taken unchecked (this process's own threads).
   * Results of an untrusted source are screened (result-check.ts). Absent: every source is trusted.
   */
  trusted?(source: GradientSource): boolean;
  /** Optional: one line for the run's log (a result that was checked). */
  log?(line: string): void;
  /**
   * Optional: a step starts with these sources, in rank order (the trainer calls it at every step
   * boundary, after active()). Membership counts its rounds here.
   */
  beginStep?(step: number, sources: readonly GradientSource[]): void;
  /**
   * Optional: which of a step's sources reduce along a chain (architecture §8), in chain order,
   * and a way to make the round's source from the shards each holds. null: no chain this step.
   */
  chain?(sources: readonly GradientSource[]): ChainPlan | null;
}

/** The sources of a step that form a chain, and the round's gradient source over them. */
export interface ChainPlan {
  readonly members: readonly GradientSource[];
  /** @param counts shards per member (each ≥ 1), in member order */
  source(members: readonly GradientSource[], counts: readonly number[]): GradientSource;
}

/** Codes of errors after which a shard is recomputed elsewhere (a lost or misbehaving remote worker). */
export const RECOVERABLE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.WORKER_LOST,
  ErrorCode.STEP_TIMEOUT,
  ErrorCode.WORKER_REJECTED,
  ErrorCode.RESULT_DISAGREES,
]);

/** Whether a source's error is recoverable (see RECOVERABLE_CODES); anything else fails the run. */
export function isRecoverable(error: unknown): boolean {
  return error instanceof GradswarmError && RECOVERABLE_CODES.has(error.code);
}

/** A fixed list of sources: a failed one is left out; when none is left the run fails. */
export class StaticSourceProvider implements SourceProvider {
  private readonly dead = new Set<GradientSource>();
  private lastError: unknown = null;

  constructor(private readonly sources: readonly GradientSource[]) {}

  active(): readonly GradientSource[] {
    return this.sources.filter((s) => !this.dead.has(s));
  }

  failed(source: GradientSource, error: unknown): void {
    this.dead.add(source);
    this.lastError = error;
  }

  waitForSource(): Promise<void> {
    return this.active().length > 0
      ? Promise.resolve()
      : Promise.reject(this.lastError ?? new Error('no gradient source is left'));
  }
}
