export { DatasetCache, fingerprintBytes } from './dataset-cache.js';
export { InProcessSource, DEFAULT_BLOCK_ROWS, type InProcessSourceOptions } from './in-process-source.js';
export { computeEach, computeSum, MIN_SAMPLES_PER_LANE, sumParts } from './lane-compute.js';
export { LocalPool, type LocalPoolOptions, type MessageBytes } from './local-pool.js';
export { WorkerClient, type WorkerClientOptions, type WorkerExit, type WorkerExitReason } from './remote-client.js';
export type { GradientSource, GradientTaskMessage, GradientTaskResult, ShardRange, ShardStats, ShardTask, StepTask } from './types.js';
