/**
 * The single-node baseline: `gradswarm train` on this machine with T threads and no network, on
 * the same model, data and batch size, measured the same way as a distributed run (its metrics
 * file, the same warm-up steps dropped, samples over the measured steps' own wall time). A
 * distributed row with W workers × t threads is compared with T = W·t, so the ratio shows what
 * going through WebSocket and separate processes costs for the same number of threads — on this
 * machine that means the same cores, too.
 *
 * It runs once per distinct T (not only for the largest W): every row then has its own ratio,
 * and these runs are short next to the distributed ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSettings } from './coordinator-run.js';
import { measureRun, stepSampleCounts, trainCountFromLog, type MetricsFile } from './measure.js';
import { childFailure, type ProcessGroup } from './processes.js';
import type { MeasuredRun } from './types.js';

/**
 * Runs `train --threads T` for warm-up + measured steps and measures it (in a CPU-limited cgroup
 * when `place` moves it into one).
 * @throws BenchError if `train` fails; UsageError with its own message if it refuses a flag
 */
export async function runSingleNode(
  group: ProcessGroup,
  settings: RunSettings,
  threads: number,
  tag: string,
  place?: (pid: number) => void,
): Promise<MeasuredRun> {
  const metricsPath = join(settings.workDir, `metrics-${tag}.json`);
  const args = [
    'train',
    '--threads',
    String(threads),
    '--balance',
    'equal',
    '--dataset',
    settings.dataset,
    '--layers',
    settings.layers,
    '--batch-size',
    String(settings.batchSize),
    '--steps',
    String(settings.warmup + settings.steps),
    '--epochs',
    '1000000',
    '--eval-every',
    '0',
    '--metrics',
    metricsPath,
    '--json',
    '--no-progress',
  ];
  const run = group.startCli(`${tag}-train`, args, { place });
  const status = await run.exited;
  if (status.code !== 0) throw childFailure(run.name, status, run.stderr());
  const metrics = JSON.parse(readFileSync(metricsPath, 'utf8')) as MetricsFile;
  const timing = metrics.minibatchTiming;
  return measureRun(
    timing,
    settings.warmup,
    stepSampleCounts(trainCountFromLog(run.stderr()), settings.batchSize, timing.length),
  );
}
