/**
 * One distributed run of the scale bench: a real coordinator process and W worker processes, in
 * network namespaces with --netem and each in its own CPU-limited cgroup with --cpu-per-worker.
 */
import { join } from 'node:path';
import type { CpuCgroups } from './cgroup.js';
import { startCoordinatorRun, type RunSettings } from './coordinator-run.js';
import { measureRun, perInnerStep, roundRecords, stepSampleCounts } from './measure.js';
import { COORDINATOR_ADDRESS, namespaceOf, type NetnsTopology } from './netem.js';
import { BenchError } from './errors.js';
import type { ProcessGroup } from './processes.js';

/** Time workers get to exit by themselves after the coordinator has. */
const WORKER_GRACE_MS = 10_000;

export interface WorkersRunOptions {
  readonly topology: NetnsTopology | null;
  readonly cgroups: CpuCgroups | null;
  /** More coordinator flags (--topology T). */
  readonly coordinatorArgs: readonly string[];
  readonly tag: string;
  /** H of `coordinator --sync-every H --replicas R`; 1: the synchronous step. */
  readonly syncEvery?: number;
  /** R of a local-SGD run [W: one replica per worker]. */
  readonly replicas?: number;
}

/** One distributed run: a coordinator and W worker processes (in namespaces with --netem). */
export async function runWorkers(
  group: ProcessGroup,
  settings: RunSettings,
  workers: number,
  threads: number,
  o: WorkersRunOptions,
) {
  const { topology, cgroups, tag } = o;
  const H = o.syncEvery ?? 1;
  const place = (slot: string) => (cgroups ? (pid: number) => cgroups.place(pid, slot) : undefined);
  const run = await startCoordinatorRun(group, {
    settings,
    minWorkers: workers,
    tag,
    ...(topology ? { host: COORDINATOR_ADDRESS, netns: namespaceOf(0) } : {}),
    extraArgs: [
      ...o.coordinatorArgs,
      ...(H > 1 ? ['--sync-every', String(H), '--replicas', String(o.replicas ?? workers)] : []),
    ],
    place: place('coordinator'),
  });
  const started = Array.from({ length: workers }, (_, i) =>
    group.startCli(
      `${tag}-worker${i + 1}`,
      [
        'worker',
        '--connect',
        run.url,
        '--threads',
        String(threads),
        '--data-cache',
        join(settings.workDir, 'data-cache'),
        '--give-up-after',
        '30s',
        '--label',
        `bench-${i + 1}`,
      ],
      {
        env: { GRADSWARM_TOKEN: run.token },
        ...(topology ? { netns: namespaceOf(i + 1) } : {}),
        place: place(`worker${i + 1}`),
      },
    ),
  );
  try {
    const outcome = await run.finish(started);
    const records = outcome.timing.length;
    const samples = stepSampleCounts(outcome.trainCount, settings.batchSize, records);
    const workerBackend =
      /^worker \d+ \([^,]*, \d+ threads?, ([^)]+)\) joined/m.exec(outcome.stderr)?.[1] ?? outcome.backend;
    return {
      measured:
        H > 1
          ? measureRounds(outcome.timing, outcome.trainCount, settings, H)
          : measureRun(outcome.timing, settings.warmup, samples),
      layers: outcome.layers,
      parameters: outcome.parameters,
      backend: workerBackend,
    };
  } finally {
    await group.settle(started, WORKER_GRACE_MS);
  }
}

/**
 * A local-SGD run's figures per inner step: its records are rounds (measure.ts's roundRecords);
 * the warm-up is the rounds that hold the first --warmup inner steps.
 * @throws BenchError if the metrics hold another number of rounds than the trainer's plan
 */
function measureRounds(
  timing: Parameters<typeof measureRun>[0],
  trainCount: number,
  settings: RunSettings,
  syncEvery: number,
) {
  const rounds = roundRecords(trainCount, settings.batchSize, settings.warmup + settings.steps, syncEvery);
  if (rounds.length !== timing.length)
    throw new BenchError(
      `the metrics hold ${timing.length} rounds, the plan of --sync-every ${syncEvery} ${rounds.length}`,
    );
  let warmup = 0;
  for (let steps = 0; steps < settings.warmup; warmup++) steps += rounds[warmup].steps;
  const measured = rounds.slice(warmup);
  const run = measureRun(
    timing,
    warmup,
    rounds.map((r) => r.samples),
  );
  return perInnerStep(run, measured.reduce((a, r) => a + r.steps, 0) / Math.max(measured.length, 1));
}
