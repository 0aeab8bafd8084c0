export { reduceInOrder, reduceStats } from './reducer.js';
export { Trainer, type EpochInfo, type StepInfo, type TrainerHooks, type TrainResult } from './trainer.js';
export {
  DEFAULT_TRAINING_OPTIONS,
  resolveTrainingOptions,
  type ResolvedTrainingOptions,
  type TrainingOptions,
} from './training-options.js';
export { MetricsRecorder, type EpochRecord, type MetricsDocument } from './metrics-recorder.js';
