// Public surface of @gradswarm/bench (private; Node only): re-exports only.
export { runScaleBench, type ScaleOptions } from './scale.js';
export { formatScaleReport } from './print.js';
export { assertCanShape, formatRate, MAX_NAMESPACES, NetnsTopology, parseLinkSpec, type LinkSpec } from './netem.js';
export {
  checkFit,
  fitCostModel,
  predictStep,
  project,
  transferTime,
  type LinkModel,
  type Observation,
} from './model.js';
export { assertCanLimitCpu, checkCpuCores, CpuCgroups, findCpuCgroupRoot, parseMountInfo } from './cgroup.js';
export { DEFAULT_CHUNK_BYTES, fitChainModel, predictChainStep, projectChain } from './chain-model.js';
export { ProcessGroup, RunningProcess, type ExitStatus } from './processes.js';
export {
  ResultEncoder,
  SyntheticClient,
  SYNTHETIC_LOSS_PER_SAMPLE,
  type SyntheticClientOptions,
  type SyntheticExit,
} from './synthetic-client.js';
export { BenchError, EXIT_INTERRUPTED, UsageError } from './errors.js';
export type * from './types.js';
