/**
 * `gradswarm bench scale`: how much faster training is with more workers, and where each step's
 * time goes. In order:
 *   1. (--netem) build the namespace star for the most workers asked (netem.ts);
 *   2. per repeat, per W: a real coordinator process (--local-threads 0, equal shards) and W
 *      worker processes with t threads each; warm-up steps dropped, the rest measured from the
 *      coordinator's metrics file (measure.ts); the fastest repeat of each W is kept;
 *   3. `train` with W·t threads on one node, the same way (single-node.ts);
 *   4. (--synthetic) coordinator capacity with K protocol-complete clients (synthetic.ts);
 *   5. the α–β model fitted to all of it, its check against each run, and its projection to
 *      8-256 workers at 1 and 10 Gbit/s (model.ts).
 * Every child process and namespace is removed on the way out: on success, on failure, and on
 * SIGINT/SIGTERM (then exit 130).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INTERRUPTED } from './errors.js';
import { startCoordinatorRun, type RunSettings } from './coordinator-run.js';
import { measureRun, scaleResults, stepSampleCounts } from './measure.js';
import { checkFit, fitCostModel, project, type LinkModel, type Observation } from './model.js';
import { COORDINATOR_ADDRESS, namespaceOf, NetnsTopology, type LinkSpec } from './netem.js';
import { ProcessGroup } from './processes.js';
import { runSingleNode } from './single-node.js';
import { runSynthetic } from './synthetic.js';
import type { MeasuredRun, ScaleBenchDocument, ScaleResult, SingleNodeResult, SyntheticResult } from './types.js';

export interface ScaleOptions {
  /** Worker counts; must include 1 unless empty (then only --synthetic runs). */
  readonly workers: readonly number[];
  readonly threads: number;
  readonly layers: string;
  readonly batchSize: number;
  readonly dataset: string;
  readonly warmup: number;
  readonly steps: number;
  readonly repeat: number;
  readonly link?: LinkSpec;
  readonly singleNode: boolean;
  readonly synthetic: readonly number[];
  readonly syntheticLayers: readonly string[];
  /** Measured steps of each synthetic run. */
  readonly syntheticSteps: number;
  /** Keep every child's stderr in this directory. */
  readonly logDir?: string;
  /** The command line, recorded in the document. */
  readonly command: string;
  /** The `gradswarm` entry script the children run (the CLI's bin/gradswarm.js). */
  readonly cliBin: string;
  readonly log: (line: string) => void;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
/** Time workers get to exit by themselves after the coordinator has. */
const WORKER_GRACE_MS = 10_000;

/** Runs the whole benchmark and returns its document. @throws BenchError, UsageError */
export async function runScaleBench(o: ScaleOptions): Promise<ScaleBenchDocument> {
  const workDir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-'));
  if (o.logDir !== undefined) mkdirSync(o.logDir, { recursive: true });
  const group = new ProcessGroup(o.cliBin, o.logDir);
  let topology: NetnsTopology | null = null;
  const cleanUp = (): void => {
    group.killAll();
    topology?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    o.log('bench: interrupted; stopping every process it started');
    cleanUp();
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanUp);
  try {
    const settings: RunSettings = {
      layers: o.layers,
      batchSize: o.batchSize,
      dataset: o.dataset,
      warmup: o.warmup,
      steps: o.steps,
      workDir,
    };
    if (o.link && o.workers.length > 0) {
      topology = NetnsTopology.create(o.link, Math.max(...o.workers));
      o.log(`bench: ${topology.describe()}`);
    }
    const linkText = topology ? topology.describe() : 'loopback (127.0.0.1), one process per worker';
    const linkModel: LinkModel | null = o.link
      ? {
          gbit: o.link.rateBitsPerSecond === undefined ? undefined : o.link.rateBitsPerSecond / 1e9,
          roundTripMs: 4 * (o.link.delayMs ?? 0),
        }
      : null;

    const best = new Map<number, MeasuredRun>();
    const singles = new Map<number, number>();
    let model = { layers: [] as number[], parameters: 0, backend: 'unknown' };
    const totals = [...new Set(o.workers.map((w) => w * o.threads))];
    for (let r = 1; r <= o.repeat; r++) {
      for (const w of o.workers) {
        const { measured, layers, parameters, backend } = await runWorkers(
          group,
          settings,
          w,
          o.threads,
          topology,
          `w${w}-r${r}`,
        );
        model = { layers, parameters, backend };
        o.log(
          `bench: ${w} worker${w === 1 ? '' : 's'} × ${o.threads} thread${o.threads === 1 ? '' : 's'} (run ${r}/${o.repeat}): ${fmt(measured.samplesPerSecond)} samples/s, ${measured.stepMs.totalMs.toFixed(1)} ms/step`,
        );
        if (!best.has(w) || measured.samplesPerSecond > best.get(w)!.samplesPerSecond) best.set(w, measured);
      }
      if (!o.singleNode) continue;
      for (const t of totals) {
        const measured = await runSingleNode(group, settings, t, `single-t${t}-r${r}`);
        o.log(`bench: train --threads ${t} (run ${r}/${o.repeat}): ${fmt(measured.samplesPerSecond)} samples/s`);
        singles.set(t, Math.max(singles.get(t) ?? 0, measured.samplesPerSecond));
      }
    }

    const synthetic: SyntheticResult[] = [];
    for (const layers of o.syntheticLayers) {
      for (const k of o.synthetic) {
        let kept: SyntheticResult | null = null;
        for (let r = 1; r <= o.repeat; r++) {
          const { coordinatorLog: _log, ...result } = await runSynthetic(
            group,
            { ...settings, steps: o.syntheticSteps },
            k,
            layers,
            `syn-k${k}-l${layers.replace(/\D+/g, '_')}-r${r}`,
          );
          o.log(
            `bench: ${k} synthetic client${k === 1 ? '' : 's'}, ${fmt(result.parameters)} parameters (run ${r}/${o.repeat}): ${result.stepsPerSecond.toFixed(1)} steps/s, ${result.megabytesPerSecond.toFixed(0)} MB/s`,
          );
          if (!kept || result.stepsPerSecond > kept.stepsPerSecond) kept = result;
        }
        synthetic.push(kept!);
        if (model.parameters === 0)
          model = { layers: [...kept!.layers], parameters: kept!.parameters, backend: 'none (synthetic)' };
      }
    }

    const results: ScaleResult[] = best.size > 0 ? scaleResults(best, o.threads, singles) : [];
    const observations: Observation[] = [
      ...results.map((r) => ({
        kind: 'workers' as const,
        workers: r.workers,
        threads: r.threads,
        samplesPerStep: r.samplesPerStep,
        parameters: model.parameters,
        link: linkModel,
        network: o.link?.text ?? 'loopback',
        stepMs: r.stepMs,
        bytesPerStep: r.bytesPerStep,
      })),
      ...synthetic.map((s) => ({
        kind: 'synthetic' as const,
        workers: s.clients,
        threads: 0,
        samplesPerStep: o.batchSize,
        parameters: s.parameters,
        link: null,
        network: 'loopback',
        stepMs: s.stepMs,
        bytesPerStep: s.bytesPerStep,
      })),
    ];
    const cores = availableParallelism();
    const fitted = results.length > 0 ? fitCostModel(observations, cores) : null;
    const largest = results[results.length - 1];
    const singleNodeRuns: SingleNodeResult[] = [...singles]
      .sort((a, b) => a[0] - b[0])
      .map(([threads, samplesPerSecond]) => ({ threads, samplesPerSecond }));
    return {
      benchmark: 'scale',
      network: model.layers.join('-'),
      batchSize: o.batchSize,
      threadsPerWorker: o.threads,
      results,
      ...(largest && singles.has(largest.workers * o.threads)
        ? {
            singleNode: {
              threads: largest.workers * o.threads,
              samplesPerSecond: singles.get(largest.workers * o.threads)!,
            },
          }
        : {}),
      ...(fitted
        ? {
            projection: project(fitted, {
              samplesPerStep: o.batchSize,
              parameters: model.parameters,
              threads: o.threads,
            }),
          }
        : {}),
      ...(fitted
        ? {
            projectionPerWorkerBatch: project(fitted, {
              samplesPerStep: o.batchSize,
              parameters: model.parameters,
              threads: o.threads,
              perWorkerBatch: true,
            }),
          }
        : {}),
      ...(synthetic.length > 0 ? { synthetic } : {}),
      link: linkText,
      model: { ...model, dataset: o.dataset },
      warmupSteps: o.warmup,
      measuredSteps: o.steps,
      ...(synthetic.length > 0 ? { syntheticMeasuredSteps: o.syntheticSteps } : {}),
      repeat: o.repeat,
      ...(singleNodeRuns.length > 0 ? { singleNodeRuns } : {}),
      ...(fitted ? { fit: { parameters: fitted, checks: checkFit(fitted, observations, cores) } } : {}),
      machine: {
        cpus: cores,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      date: new Date().toISOString(),
      command: o.command,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanUp);
    cleanUp();
  }
}

/** One distributed run: a coordinator and W worker processes (in namespaces with --netem). */
async function runWorkers(
  group: ProcessGroup,
  settings: RunSettings,
  workers: number,
  threads: number,
  topology: NetnsTopology | null,
  tag: string,
) {
  const run = await startCoordinatorRun(group, {
    settings,
    minWorkers: workers,
    tag,
    ...(topology ? { host: COORDINATOR_ADDRESS, netns: namespaceOf(0) } : {}),
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
      { env: { GRADSWARM_TOKEN: run.token }, ...(topology ? { netns: namespaceOf(i + 1) } : {}) },
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
