/**
 * Coordinator capacity (`bench scale --synthetic 1,8,32,128`): a real coordinator child process
 * on loopback and K synthetic clients in this process (synthetic-client.ts) that answer every
 * step at once. With compute taken out, the step time is the coordinator's messaging,
 * validation and reduction for K workers of a P-parameter model; the steps/s and MB/s where it
 * flattens out are where the star topology saturates. This measures only the coordinator (and
 * the clients share this machine's cores with it); it says nothing about compute.
 */
import { BenchError } from './errors.js';
import { startCoordinatorRun, type RunSettings } from './coordinator-run.js';
import { measureRun, stepSampleCounts } from './measure.js';
import { processCpuMs, type ProcessGroup } from './processes.js';
import { ResultEncoder, SyntheticClient, type SyntheticExit } from './synthetic-client.js';
import type { SyntheticResult } from './types.js';

/** The label synthetic clients declare; the coordinator logs `worker N (synthetic, …) joined`. */
export const SYNTHETIC_LABEL = 'synthetic';

/**
 * One capacity run: K clients, the model `layers` (hidden sizes, as --layers).
 * @param log progress lines (stderr)
 * @throws BenchError if the coordinator or a client fails
 */
export async function runSynthetic(
  group: ProcessGroup,
  settings: RunSettings,
  clients: number,
  layers: string,
  tag: string,
): Promise<SyntheticResult & { coordinatorLog: string }> {
  const run = await startCoordinatorRun(group, { settings, layers, minWorkers: clients, tag });
  const results = new ResultEncoder();
  const pool = Array.from(
    { length: clients },
    () =>
      new SyntheticClient({ url: run.url, token: run.token, label: SYNTHETIC_LABEL, backend: run.backend, results }),
  );
  const exits = pool.map((c) => c.run());
  // CPU use between "all K joined" and "all K told the run is over": is the coordinator the
  // bottleneck (near one core), or the clients?
  const usage = (async () => {
    await run.process.waitFor(new RegExp(`; ${clients} ready$`, 'm'), 60_000);
    const start = {
      wall: performance.now(),
      coordinator: processCpuMs(run.process.child.pid),
      clients: process.cpuUsage(),
    };
    await Promise.all(exits);
    const wall = performance.now() - start.wall;
    const coordinatorMs = processCpuMs(run.process.child.pid);
    const mine = process.cpuUsage(start.clients);
    return {
      coordinatorCpu:
        start.coordinator === undefined || coordinatorMs === undefined
          ? undefined
          : (coordinatorMs - start.coordinator) / wall,
      clientsCpu: (mine.user + mine.system) / 1000 / wall,
    };
  })().catch(() => ({ coordinatorCpu: undefined, clientsCpu: undefined }));
  // A client refused or cut off while the coordinator still runs fails the run at once.
  const failed = new Promise<Error>((resolve) => {
    for (const e of exits) {
      void e.then((exit) => {
        if (exit.reason !== 'finished' && run.process.exitStatus() === null)
          resolve(new Error(`a synthetic client stopped: ${exit.reason}, ${exit.message}`));
      });
    }
  });
  let outcome;
  try {
    outcome = await run.finish([], failed);
  } finally {
    for (const c of pool) c.stop();
  }
  const ended: SyntheticExit[] = await Promise.all(exits);
  const cpu = await usage;
  const served = ended.reduce((a, e) => a + e.steps, 0);
  if (served < clients * outcome.timing.length) {
    throw new BenchError(
      `the ${clients} synthetic clients answered ${served} steps, ${clients * outcome.timing.length} were expected - help: look for dropped workers in the coordinator's log`,
    );
  }
  const measured = measureRun(
    outcome.timing,
    settings.warmup,
    stepSampleCounts(outcome.trainCount, settings.batchSize, outcome.timing.length),
  );
  const stepsPerSecond =
    measured.stepMs.totalMs > 0
      ? 1000 / (outcome.timing.slice(settings.warmup).reduce((a, t) => a + t.totalMs, 0) / measured.measuredSteps)
      : 0;
  return {
    clients,
    parameters: outcome.parameters,
    layers: outcome.layers,
    stepsPerSecond,
    megabytesPerSecond: ((measured.bytesPerStep.sent + measured.bytesPerStep.received) * stepsPerSecond) / 1e6,
    stepMs: measured.stepMs,
    bytesPerStep: measured.bytesPerStep,
    ...(cpu.coordinatorCpu === undefined ? {} : { coordinatorCpuCores: cpu.coordinatorCpu }),
    ...(cpu.clientsCpu === undefined ? {} : { clientsCpuCores: cpu.clientsCpu }),
    coordinatorLog: outcome.stderr,
  };
}
