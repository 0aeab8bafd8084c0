export * from './activations.js';
export * from './backprop.js';
export * from './class-metrics.js';
export * from './constants.js';
export * from './cost.js';
export * from './errors.js';
export { MAX_PEER_TEXT_CHARS, peerText } from './log-text.js';
export * from './gradcheck.js';
export * from './gradient-sum.js';
export type { KernelBackend } from './kernel-backend.js';
export * from './kernels.js';
export { referenceBackend } from './backends/reference.js';
export {
  firstNonFinite,
  firstNonFiniteJs,
  syncAesGmac,
  syncHmacSha256,
  type SyncAesGmac,
  type SyncHmacSha256,
} from './finite.js';
export * from './local-round.js';
export * from './losses.js';
export * from './lr-schedule.js';
export * from './metrics.js';
export * from './mlp.js';
export type * from './model-metadata.js';
export * from './optimizer.js';
export * from './outer-step.js';
export { AdamOptimizer, type AdamOptions } from './optimizers/adam.js';
export { createOptimizer } from './optimizers/registry.js';
export { SgdOptimizer } from './optimizers/sgd.js';
export { applyStepPlan, type OptimizerStepPlan } from './optimizers/step-plan.js';
export * from './step-slices.js';
export * from './predict.js';
export * from './reasons.js';
export * from './rng.js';
export * from './serialize.js';
export type * from './types.js';
export * from './fullbatch/objective.js';
export { createMinimizer } from './fullbatch/registry.js';
export { strongWolfeSearch, type LineSearchOptions, type LineSearchResult } from './fullbatch/line-search.js';
