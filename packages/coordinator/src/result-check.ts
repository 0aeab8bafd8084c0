/**
 * Checking a step's shard results before they are summed (result-screen.ts has the verdicts).
 * Once every shard of a step is in, and only if an untrusted source (a remote worker) computed
 * one of them:
 *   1. find a shard from an untrusted source that is out of range, else the one an overflowing
 *      sum is traced to; none: remember the step's results and return;
 *   2. recompute it on another source, trusted ones (the coordinator's own threads) first,
 *      repeating the sender's arithmetic where it can (the sender's split over its threads);
 *   3. the same result (bit for bit, or within the tolerance across backends): accept it. A
 *      different one from a trusted checker, or from two untrusted checkers that agree with
 *      each other: the sender is dropped (GS_ERR_RESULT_DISAGREES, close 4020) and its shards
 *      are recomputed by the scheduler's reassignment path, as for a lost worker. An untrusted
 *      checker that disagrees with the sender and a later checker is dropped the same way. No
 *      majority (one untrusted checker against the sender, nobody else): accepted, logged, and
 *      not remembered in the window. Then from 1 again.
 * In reproducible mode every recomputation repeats the sender's arithmetic, so an honest worker
 * always agrees with an honest checker: it is dropped only if a trusted source disagrees (which
 * cannot happen) or two other workers send the same wrong bits.
 */
import { ErrorCode, GradswarmError, type GradientStats } from '@gradswarm/core';
import { computeShard, sumParts, type GradientSource, type ShardRange, type StepTask } from '@gradswarm/worker';
import { compareResults, overflowCulprit, summarize, type ResultScreen, type ShardResult } from './result-screen.js';
import { isRecoverable, type SourceProvider } from './source-provider.js';

/** Who computed a shard, and whether whole (else summed over the source's threads). */
export interface ComputedBy {
  readonly source: GradientSource;
  readonly whole: boolean;
}

/** A step's results as the scheduler holds them; `results` and `computedBy` change as shards are recomputed. */
export interface StepResults {
  readonly task: StepTask;
  readonly shards: readonly ShardRange[];
  readonly grads: readonly Float32Array[];
  readonly results: GradientStats[];
  readonly computedBy: ComputedBy[];
  /**
   * Shards whose gradients this process never saw one by one (a chain folded them into one sum,
   * architecture §8): neither screened nor used as references; the others are screened as usual.
   */
  readonly folded?: ReadonlySet<number>;
}

/** What checking needs from the scheduler. */
export interface CheckContext {
  readonly screen: ResultScreen;
  readonly provider: SourceProvider;
  /** Drops `source` for `error` and recomputes `indices` on the others (the scheduler's reassignment). */
  reassign(source: GradientSource, error: GradswarmError, indices: readonly number[]): Promise<void>;
}

interface Recomputed extends ShardResult {
  /** True when the recomputation repeated the sender's arithmetic (then only the same bits agree). */
  readonly exact: boolean;
}

/** Checks a step's results in place (see the overview); resolves once every shard is accepted. */
export async function checkStepResults(step: StepResults, ctx: CheckContext): Promise<void> {
  const trusted = (s: GradientSource): boolean => ctx.provider.trusted?.(s) ?? true;
  const folded = step.folded ?? new Set<number>();
  const seen = (i: number): boolean => !folded.has(i);
  if (step.computedBy.every((c, i) => !seen(i) || trusted(c.source))) return;
  const log = (line: string): void => ctx.provider.log?.(line);
  const stepNo = step.task.weightsVersion + 1;
  // Shards a recomputation confirmed, or that could not be settled (those are not remembered).
  const cleared = new Set<number>();
  const unsettled = new Set<number>();
  // One pass over each gradient; again only for shards recomputed after a drop.
  const summaries = step.shards.map((_, i) => summarize({ grad: step.grads[i], ...step.results[i] }));
  const drop = async (source: GradientSource, message: string): Promise<void> => {
    const mine = step.computedBy.flatMap((c, i) => (c.source === source ? [i] : []));
    for (const i of mine) {
      cleared.delete(i);
      unsettled.delete(i);
    }
    await ctx.reassign(source, new GradswarmError(ErrorCode.RESULT_DISAGREES, message), mine);
    for (const i of mine) summaries[i] = summarize({ grad: step.grads[i], ...step.results[i] });
  };
  for (;;) {
    const references = ctx.screen.references(summaries.filter((_, i) => seen(i)));
    const open = (i: number): boolean => seen(i) && !cleared.has(i) && !trusted(step.computedBy[i].source);
    let suspect = -1;
    let why = '';
    for (let i = 0; i < step.shards.length && suspect < 0; i++) {
      const verdict = open(i) ? ctx.screen.verdict(summaries[i], references) : null;
      if (verdict !== null) [suspect, why] = [i, verdict];
    }
    if (suspect < 0) {
      const visible = step.shards.flatMap((_, i) => (seen(i) ? [i] : []));
      const at = overflowCulprit(
        visible.map((i) => step.results[i].lossSum),
        visible.map((i) => summaries[i]),
      );
      const culprit = at >= 0 ? visible[at] : -1;
      if (culprit >= 0 && open(culprit))
        [suspect, why] = [culprit, "the step's sums overflow and this shard holds their largest term"];
    }
    if (suspect < 0) {
      ctx.screen.accept(summaries.filter((_, i) => seen(i) && !unsettled.has(i)));
      return;
    }
    const sender = step.computedBy[suspect].source;
    const sent = { grad: step.grads[suspect], ...step.results[suspect] };
    const shard = `shard ${suspect + 1} of step ${stepNo}`;
    const tolerance = ctx.screen.options.tolerance;
    // Untrusted checkers that disagreed with the sender, and what they computed.
    const dissent: Array<{ checker: GradientSource; redo: Recomputed }> = [];
    let settled = false;
    for (const checker of checkers(ctx.provider, sender, trusted)) {
      let redo: Recomputed;
      try {
        redo = await recompute(checker, step.task, step.shards[suspect], step.computedBy[suspect]);
      } catch (err) {
        if (!isRecoverable(err)) throw err;
        continue; // the checker itself was lost; its own failure is handled where it happened
      }
      const diff = compareResults(sent, redo, redo.exact ? null : tolerance);
      if (diff === null) {
        log(
          `${shard} from ${sender.label}: ${why}; ${checker.label} recomputed the same result${redo.exact ? ' bit for bit' : ''}; accepted`,
        );
        // Two sources against each: the checkers that disagreed computed it wrong.
        for (const d of dissent)
          await drop(
            d.checker,
            `its recomputation of ${shard} disagrees with those of ${sender.label} and ${checker.label}`,
          );
        cleared.add(suspect);
        settled = true;
        break;
      }
      if (trusted(checker)) {
        await drop(sender, `${checker.label}'s recomputation of ${shard} disagrees: ${diff}; ${why}`);
        settled = true;
        break;
      }
      // One untrusted word against another settles nothing; two that agree do.
      const same = (d: { checker: GradientSource; redo: Recomputed }): boolean =>
        compareResults(
          d.redo,
          redo,
          d.redo.exact && redo.exact && d.checker.backend === checker.backend ? null : tolerance,
        ) === null;
      const ally = dissent.find(same);
      if (ally) {
        await drop(
          sender,
          `${ally.checker.label}'s and ${checker.label}'s recomputations of ${shard} agree and disagree with it: ${diff}; ${why}`,
        );
        settled = true;
        break;
      }
      dissent.push({ checker, redo });
    }
    if (!settled) {
      const whom =
        dissent.length === 0
          ? 'no other source could check it'
          : `${dissent.map((d) => d.checker.label).join(' and ')} disagreed but no third source settled it`;
      log(`${shard} from ${sender.label}: ${why}; ${whom}; accepted unchecked`);
      cleared.add(suspect);
      unsettled.add(suspect);
    }
  }
}

/** Sources that may check `sender`'s result: the active others, trusted first, in provider order. */
function checkers(
  provider: SourceProvider,
  sender: GradientSource,
  trusted: (s: GradientSource) => boolean,
): GradientSource[] {
  const others = provider.active().filter((s) => s !== sender);
  return [...others.filter(trusted), ...others.filter((s) => !trusted(s))];
}

/**
 * The shard computed again on `checker`. A shard the sender summed over its threads is split
 * the same way (lane-compute.ts's sumParts), each part computed whole and the parts added in
 * lane order into a zeroed sum, as computeSum does: with the same backend that is the same
 * arithmetic, so the same bits. Parts go one at a time through one scratch buffer, so memory
 * stays at two gradients whatever the sender claims its thread count is.
 */
async function recompute(
  checker: GradientSource,
  task: StepTask,
  shard: ShardRange,
  by: ComputedBy,
): Promise<Recomputed> {
  const P = task.weights.length;
  const sameBackend = checker.backend === by.source.backend;
  // Every source computes a part whole in `each` mode.
  const computeWhole = (part: ShardRange, into: Float32Array): Promise<GradientStats> =>
    computeShard(checker, { ...task, ...part }, into);
  const parts = by.whole ? [shard] : sumParts(shard, by.source.threads);
  const scratch = new Float32Array(P);
  if (parts.length === 1) {
    const s = await computeWhole(parts[0], scratch);
    return { grad: scratch, lossSum: s.lossSum, count: s.count, exact: sameBackend };
  }
  const grad = new Float32Array(P);
  let lossSum = 0;
  let count = 0;
  for (const part of parts) {
    if (part.count === 0) continue;
    const s = await computeWhole(part, scratch);
    for (let j = 0; j < P; j++) grad[j] += scratch[j];
    lossSum += s.lossSum;
    count += s.count;
  }
  return { grad, lossSum, count, exact: sameBackend };
}
