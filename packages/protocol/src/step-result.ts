/**
 * Whether a validated result answers the step it claims to: a check `validateMessage` cannot
 * make alone, because it needs the step the coordinator sent to that worker.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { ResultMessage, StepMessage } from './messages.js';

/**
 * Checks a result against the step sent to the same worker.
 * - `request`, `step` and `version` must be the step's (else STALE: an answer to something not
 *   asked; `step` null means nothing is in flight);
 * - reduce `each`: one gradient per shard, `counts[i]` = `shards[i].count`;
 * - reduce `sum`: exactly one gradient, `counts[0]` = the shards' total (else INVALID).
 * A coordinator that gave up on an older step (and reassigned its shards) should compare a
 * late result's `step` first and drop it quietly rather than call this.
 * @param step the step message this worker was sent
 * @param result the worker's result, already validated
 * @throws ProtocolError GS_ERR_PROTOCOL_STALE or GS_ERR_PROTOCOL_INVALID
 */
export function checkResultForStep(step: StepMessage | null, result: ResultMessage): void {
  if (
    step === null ||
    result.request !== step.request ||
    result.step !== step.step ||
    result.version !== step.version
  ) {
    const asked = step === null ? 'nothing was asked' : `step ${step.step} version ${step.version} was asked`;
    throw new ProtocolError(
      ProtocolErrorCode.STALE,
      `stale result for step ${result.step} version ${result.version} while ${asked}`,
    );
  }
  if (result.failed !== undefined) {
    if (step.chain === undefined)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `reported a failed chain step ${step.step}, which was not a chain step`,
      );
    return;
  }
  const expected =
    step.reduce === 'each' ? step.shards.map((s) => s.count) : [step.shards.reduce((sum, s) => sum + s.count, 0)];
  if (step.chain !== undefined) {
    if (result.grads !== 0)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `returned gradients for chain step ${step.step}, whose sum goes along the chain`,
      );
    if (result.counts.length !== expected.length)
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `returned ${result.counts.length} shard statistics, ${expected.length} were asked (chain step ${step.step})`,
      );
  } else if (result.grads !== expected.length) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `returned ${result.grads} gradients, ${expected.length} were asked (step ${step.step}, reduce '${step.reduce}')`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    if (result.counts[i] !== expected[i]) {
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `result.counts[${i}] is ${result.counts[i]}, but step ${step.step} asked for ${expected[i]} samples there`,
      );
    }
  }
}
