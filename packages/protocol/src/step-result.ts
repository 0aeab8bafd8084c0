/**
 * Whether a validated result answers the step it claims to: a check `validateMessage` cannot
 * make alone, because it needs the step the coordinator sent to that worker.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { ResultMessage, StepMessage } from './messages.js';

/**
 * Checks a result against the step sent to the same worker.
 * - `step` and `version` must be the step's (else STALE: an answer to something not asked);
 * - reduce `each`: one gradient per shard, `counts[i]` = `shards[i].count`;
 * - reduce `sum`: exactly one gradient, `counts[0]` = the shards' total (else INVALID).
 * A coordinator that gave up on an older step (and reassigned its shards) should compare a
 * late result's `step` first and drop it quietly rather than call this.
 * @param step the step message this worker was sent
 * @param result the worker's result, already validated
 * @throws ProtocolError GS_ERR_PROTOCOL_STALE or GS_ERR_PROTOCOL_INVALID
 */
export function checkResultForStep(step: StepMessage, result: ResultMessage): void {
  if (result.step !== step.step || result.version !== step.version) {
    throw new ProtocolError(
      ProtocolErrorCode.STALE,
      `result is for step ${result.step} at weights version ${result.version}, ` +
        `but the step asked for is ${step.step} at version ${step.version}`,
    );
  }
  const expected =
    step.reduce === 'each' ? step.shards.map((s) => s.count) : [step.shards.reduce((sum, s) => sum + s.count, 0)];
  if (result.grads.length !== expected.length) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `result.grads has ${result.grads.length} gradients, but step ${step.step} (reduce '${step.reduce}') needs ${expected.length}`,
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
