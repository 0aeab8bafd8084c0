export { MetricsRecorder, type EpochRecord, type MetricsDocument } from './metrics-recorder.js';
export { reduceInOrder, reduceStats } from './reducer.js';
export { contiguousGroups, runStep, type SchedulerEvents, type StepPlan } from './scheduler.js';
export { isRecoverable, RECOVERABLE_CODES, StaticSourceProvider, type SourceProvider } from './source-provider.js';
export { Trainer, type EpochInfo, type StepInfo, type TrainerHooks, type TrainerState, type TrainResult } from './trainer.js';
export {
  DEFAULT_TRAINING_OPTIONS,
  resolveTrainingOptions,
  type ResolvedTrainingOptions,
  type TrainingOptions,
} from './training-options.js';
