/**
 * `gradswarm train`: the single-machine trainer — the coordinator's loop with this machine's
 * thread pool as the only gradient source and no network port.
 */
import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import {
  checkpointFlags,
  costFlags,
  dataFlags,
  modelFlags,
  optimizerFlags,
  outputFlags,
  parallelFlags,
} from '../flags.js';
import { localSgdFlags } from '../local-sgd-flags.js';
import { traceFlags } from '../observability.js';
import { runTraining, type TrainingArgs } from '../run-training.js';

/** Every flag of `train`; `coordinator` adds its network flags to these. */
export const trainFlags = {
  ...dataFlags,
  ...modelFlags,
  ...costFlags,
  ...optimizerFlags,
  ...parallelFlags,
  ...localSgdFlags,
  ...checkpointFlags,
  ...outputFlags,
  ...traceFlags,
};

export function trainCommand(setExitCode: (code: number) => void): CommandModule<object, TrainingArgs> {
  return {
    command: 'train',
    describe: 'train on this machine (the single-node trainer)',
    builder: (y: Argv) =>
      examples(y.options(trainFlags), [
        ['$0 train', 'train 784-100-10 on the embedded MNIST digits'],
        ['$0 train --dataset digits:digits.csv.gz --layers 30 --epochs 50', 'train on the UCI digits'],
      ]) as unknown as Argv<TrainingArgs>,
    handler: async (args) => setExitCode(await runTraining(args, 'train', availableParallelism())),
  };
}
