/**
 * The trainer's loop under local SGD (architecture §10): rounds of H inner steps (local-round.ts's
 * roundSteps) that go on across epoch ends, each reported as one step whose `step`, `epoch` and
 * `batch` are those of its last inner step. An epoch that ends inside a round is reported when the
 * round is done, before the round's step (so a checkpoint written at that step is past it); one
 * that ends with the round's last inner step is reported after it, as in the synchronous run. A
 * round depends only on its start weights and position, so a run resumed at a round's end takes
 * the rounds of the uninterrupted run.
 */
import { roundSteps, type PlanPosition } from './local-round.js';
import type { EpochInfo, StepInfo, TrainResult } from './trainer-reports.js';
import type { ResolvedTrainingOptions } from './training-options.js';

/** The trainer's hooks the loop calls (trainer.ts's TrainerHooks; a round reported as one StepInfo). */
export interface RoundHooks {
  onStepStart?(step: number): void;
  onStep?(info: StepInfo): void | Promise<void>;
  onEpoch?(info: EpochInfo): void | Promise<void>;
}

/** What a round reports to the loop. */
export interface RoundOutcome {
  readonly cost: number;
  readonly learningRate: number;
  readonly samples: number;
  readonly participants: readonly string[];
  readonly computeMs: readonly number[];
  readonly reduceUpdateMs: number;
}

/** The trainer's parts the loop reads and moves. */
export interface RoundHost {
  readonly options: ResolvedTrainingOptions;
  readonly batchesPerEpoch: number;
  readonly params: Float32Array;
  readonly position: {
    epoch: number;
    batch: number;
    step: number;
    samplesSeen: number;
    trainingMs: number;
    lastCost: number;
  };
  stopping(): { stop: boolean; end: boolean };
  round(steps: readonly PlanPosition[]): Promise<RoundOutcome>;
}

/** Runs rounds from the host's position to the end of its last epoch (or --steps, or stop). */
export async function runRounds(host: RoundHost, hooks: RoundHooks): Promise<TrainResult> {
  const o = host.options;
  const pos = host.position;
  const perEpoch = host.batchesPerEpoch;
  const maxSteps = o.maxSteps ?? Number.POSITIVE_INFINITY;
  let costSum = 0;
  let costs = 0;
  const endEpoch = async (): Promise<void> => {
    const epoch = pos.epoch;
    pos.epoch++;
    pos.batch = 0;
    const cost = costs > 0 ? costSum / costs : pos.lastCost;
    await hooks.onEpoch?.({ epoch, cost, params: host.params, trainingMs: pos.trainingMs });
  };
  const going = (): boolean => {
    const { stop, end } = host.stopping();
    return pos.epoch < o.epochs && !stop && !end && pos.step < maxSteps;
  };
  while (going()) {
    // Restored from a checkpoint written after an epoch's last step: that epoch ends first.
    if (pos.batch === perEpoch) {
      await endEpoch();
      continue;
    }
    const steps = roundSteps(pos, o.localSgd!.syncEvery, perEpoch, o.epochs, maxSteps);
    hooks.onStepStart?.(pos.step);
    const started = performance.now();
    const r = await host.round(steps);
    const totalMs = performance.now() - started;
    pos.trainingMs += totalMs;
    pos.samplesSeen += r.samples;
    pos.lastCost = r.cost;
    const last = steps[steps.length - 1];
    const info = {
      epoch: last.epoch,
      batch: last.batch,
      batchesPerEpoch: perEpoch,
      step: pos.step + steps.length - 1,
      cost: r.cost,
      learningRate: r.learningRate,
      samples: r.samples,
      participants: r.participants,
      timing: { totalMs, computeMs: r.computeMs, reduceUpdateMs: r.reduceUpdateMs },
    };
    pos.step += steps.length;
    costSum += r.cost;
    costs++;
    while (pos.epoch < last.epoch) {
      await endEpoch();
      // The round's cost counts in each epoch it took steps of.
      costSum = r.cost;
      costs = 1;
    }
    pos.batch = last.batch + 1;
    await hooks.onStep?.({ ...info, samplesSeen: pos.samplesSeen, trainingMs: pos.trainingMs });
    if (pos.batch === perEpoch) {
      await endEpoch();
      costSum = 0;
      costs = 0;
    }
  }
  return {
    params: host.params,
    epochsCompleted: pos.epoch,
    steps: pos.step,
    finalCost: pos.lastCost,
    samplesSeen: pos.samplesSeen,
    trainingMs: pos.trainingMs,
    interrupted: host.stopping().stop && pos.epoch < o.epochs && pos.step < maxSteps,
  };
}
