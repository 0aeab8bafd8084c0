export { InProcessSource, DEFAULT_BLOCK_ROWS, type InProcessSourceOptions } from './in-process-source.js';
export { LocalPool, type LocalPoolOptions, type MessageBytes } from './local-pool.js';
export type { GradientSource, GradientTaskMessage, GradientTaskResult, ShardRange, ShardTask, StepTask } from './types.js';
