/**
 * One distributed run of the scale bench: a real coordinator process and W worker processes, in
 * network namespaces with --netem and each in its own CPU-limited cgroup with --cpu-per-worker.
 */
import { join } from 'node:path';
import type { CpuCgroups } from './cgroup.js';
import { startCoordinatorRun, type RunSettings } from './coordinator-run.js';
import { measureRun, stepSampleCounts } from './measure.js';
import { COORDINATOR_ADDRESS, namespaceOf, type NetnsTopology } from './netem.js';
import type { ProcessGroup } from './processes.js';

/** Time workers get to exit by themselves after the coordinator has. */
const WORKER_GRACE_MS = 10_000;

export interface WorkersRunOptions {
  readonly topology: NetnsTopology | null;
  readonly cgroups: CpuCgroups | null;
  /** More coordinator flags (--topology T). */
  readonly coordinatorArgs: readonly string[];
  readonly tag: string;
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
  const place = (slot: string) => (cgroups ? (pid: number) => cgroups.place(pid, slot) : undefined);
  const run = await startCoordinatorRun(group, {
    settings,
    minWorkers: workers,
    tag,
    ...(topology ? { host: COORDINATOR_ADDRESS, netns: namespaceOf(0) } : {}),
    extraArgs: o.coordinatorArgs,
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
    const samples = stepSampleCounts(outcome.trainCount, settings.batchSize, outcome.timing.length);
    const workerBackend =
      /^worker \d+ \([^,]*, \d+ threads?, ([^)]+)\) joined/m.exec(outcome.stderr)?.[1] ?? outcome.backend;
    return {
      measured: measureRun(outcome.timing, settings.warmup, samples),
      layers: outcome.layers,
      parameters: outcome.parameters,
      backend: workerBackend,
    };
  } finally {
    await group.settle(started, WORKER_GRACE_MS);
  }
}
