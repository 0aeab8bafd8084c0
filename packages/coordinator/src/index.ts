export { checkResumable, loadCheckpoint, saveCheckpoint, CHECKPOINT_FILE, CHECKPOINT_VERSION } from './checkpoint.js';
export type { Checkpoint } from './checkpoint.js';
export { ConnectionLimits, DEFAULT_CONNECTION_LIMITS, HANDSHAKE_TIMEOUT_CLOSE_CODE } from './connection-limits.js';
export { resolveConnectionLimits, type ConnectionLimitsOptions } from './connection-limits.js';
export type { ResolvedConnectionLimitsOptions } from './connection-limits.js';
export { Coordinator, MAX_SHARDS_PER_STEP, type CoordinatorOptions, type NetworkOptions } from './coordinator.js';
export { createRun, DEFAULT_RUN_OPTIONS, resolveRunOptions, type ResolvedRunOptions, type Run } from './create-run.js';
export type { RunNetworkOptions, RunOptions } from './create-run.js';
export { AUTH_BANNED_HTTP_STATUS, CoordinatorListener, listen, type ListenOptions } from './coordinator-listener.js';
export { readOpenFileLimit, type OpenFileLimit } from './fd-limit.js';
export { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
export { HttpRoutes, sendJson, type HttpHandler, type HttpMethod, type RemoveRoute } from './http-routes.js';
export type { UpgradeHandler, UpgradeRouteOptions } from './http-routes.js';
export { DEFAULT_MAX_DEPARTED_WORKERS, Membership, type MembershipOptions } from './membership.js';
export type { MembershipRound } from './membership.js';
export { MetricsRecorder, type EpochRecord, type MetricsDocument, type StepRecord } from './metrics-recorder.js';
export { RunEvents, type DroppedEvent, type EpochEvaluation, type EpochEvent, type JoinedEvent } from './run-events.js';
export type { LeftEvent, ReassignedEvent, RunEventMap, RunEventType } from './run-events.js';
export type { MeasuredEvent, StepEvent, StepStartEvent, Unsubscribe } from './run-events.js';
export { reduceStats, StarReducer, type ReductionInput, type Reducer } from './reducer.js';
export { collectReportData, type ImageSet, type ReportData } from './report-data.js';
export { RemoteWorker, type RemoteWorkerState } from './remote-worker.js';
export { DEFAULT_SCREEN_OPTIONS, resolveScreenOptions, ResultScreen } from './result-screen.js';
export type { ResolvedScreenOptions, ScreenOptions } from './result-screen.js';
export { certificateFingerprint } from './own-address.js';
export { contiguousGroups, runStep, type SchedulerEvents, type StepPlan } from './scheduler.js';
export { isRecoverable, RECOVERABLE_CODES, StaticSourceProvider, type SourceProvider } from './source-provider.js';
export { STATUS_FORMAT, STATUS_VERSION, type RunPhase, type StatusDocument } from './status-document.js';
export type { WorkerStatus } from './status-document.js';
export { checkTlsMaterial, type TlsMaterial } from './tls-material.js';
export { outcomeText, Trainer, type EpochInfo, type StepInfo, type StepTiming, type TrainerHooks } from './trainer.js';
export type { FullBatchOutcome, TrainerState, TrainResult } from './trainer.js';
export {
  DEFAULT_GAMMA,
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_TRAINING_OPTIONS,
  lrScheduleOf,
  optimizerOptionsOf,
} from './training-options.js';
export { resolveTrainingOptions } from './training-options.js';
export type {
  ResolvedFullBatchOptions,
  ResolvedTrainingOptions,
  TrainerOptimizerName,
  TrainingOptions,
} from './training-options.js';
export { addDashboardRoutes, type DashboardRoutesOptions } from './dashboard-routes.js';
export { ReadAccess } from './read-access.js';
export { PrometheusMetrics } from './prometheus-metrics.js';
export { flagStragglers, RunObserver, type DashboardSnapshot, type WorkerRow } from './run-observer.js';
export { TraceRecorder, type TraceDocument, type TraceEvent, type TraceOptions } from './trace-recorder.js';
