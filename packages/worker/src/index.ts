export { InProcessSource, DEFAULT_BLOCK_ROWS, type InProcessSourceOptions } from './in-process-source.js';
export type { GradientSource, ShardTask } from './types.js';
