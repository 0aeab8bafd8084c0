// Public surface of @gradswarm/worker: the compute part, browser-safe (no Node built-in). The
// Piscina pool, the WebSocket client and the data-set cache are in `@gradswarm/worker/node`.
export { InProcessSource, DEFAULT_BLOCK_ROWS, type InProcessSourceOptions } from './in-process-source.js';
export { computeEach, computeSum, MIN_SAMPLES_PER_LANE, sumParts } from './lane-compute.js';
export { nextTurn } from './next-turn.js';
export { checkRequest, computeShard, computeShardByShard } from './shard-compute.js';
export type {
  GradientMode,
  GradientReadyCallback,
  GradientRequest,
  GradientSource,
  ShardRange,
  ShardStats,
  ShardTask,
  SliceHelpers,
  StepTask,
} from './types.js';
