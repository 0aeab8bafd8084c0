/**
 * `gradswarm bench scale`: how much faster training is with more workers, and where each step's
 * time goes. In order:
 *   1. (--netem) build the namespace star for the most workers asked (netem.ts);
 *   (--cpu-per-worker F) make one cgroup of F cores per process (cgroup.ts): the run then
 *      emulates 1-core machines 1/F times slower, and reports undilated figures (testbed.ts);
 *   2. per repeat, per series (each --topology, strong and/or weak scaling), per W: a real
 *      coordinator process (--local-threads 0, equal shards) and W worker processes with t
 *      threads each (worker-run.ts); warm-up steps dropped, the rest measured from the
 *      coordinator's metrics file (measure.ts); the fastest repeat of each W is kept;
 *   3. `train` on one node, the same way (single-node.ts): with W·t threads and no quota, or,
 *      with --cpu-per-worker, with t threads under the same quota (one emulated machine);
 *   4. (--synthetic) coordinator capacity with K protocol-complete clients (synthetic.ts);
 *   5. the star's α–β model (model.ts) and the chain's pipelined model (chain-model.ts) fitted
 *      to the runs of their topology, checked against each, and projected to 16-256 workers at
 *      1 and 10 Gbit/s.
 * Every child process, namespace and cgroup is removed on the way out: on success, on failure,
 * and on SIGINT/SIGTERM (then exit 130).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuCgroups, findCpuCgroupRoot } from './cgroup.js';
import { measureComputeProfile, measureHopCost } from './chain-probes.js';
import type { RunSettings } from './coordinator-run.js';
import { EXIT_INTERRUPTED } from './errors.js';
import { scaleResults } from './measure.js';
import type { LinkModel } from './model.js';
import { NetnsTopology, type LinkSpec } from './netem.js';
import { ProcessGroup } from './processes.js';
import { fitModels, type MeasuredSeries } from './scale-models.js';
import { runSingleNode } from './single-node.js';
import { runSynthetic } from './synthetic.js';
import { allSeries, batchForRun, dilationOf, seriesLabel, undilateStep, type Scaling, type Series } from './testbed.js';
import type { MeasuredRun, ScaleBenchDocument, ScaleResult, SingleNodeResult, SyntheticResult } from './types.js';
import { runWorkers } from './worker-run.js';

export interface ScaleOptions {
  /** Worker counts; must include 1 unless empty (then only --synthetic runs). */
  readonly workers: readonly number[];
  readonly threads: number;
  readonly layers: string;
  /** The global batch of the strong-scaling rows. */
  readonly batchSize: number;
  readonly dataset: string;
  readonly warmup: number;
  readonly steps: number;
  readonly repeat: number;
  readonly link?: LinkSpec;
  /** Cores of every process's cgroup (--cpu-per-worker); undefined: no quota. */
  readonly cpuPerWorker?: number;
  /** Samples per worker of the weak-scaling rows (--per-worker-batch). */
  readonly perWorkerBatch?: number;
  readonly scalings: readonly Scaling[];
  /**
   * H > 1: every distributed run is local SGD (`coordinator --sync-every H --replicas W`); its
   * figures are per inner step. Undefined or 1: the synchronous step.
   */
  readonly syncEvery?: number;
  /** R of the local-SGD runs [W of each run]. */
  readonly replicas?: number;
  /** Each is passed as `coordinator --topology T`; undefined: the flag is not passed. */
  readonly topologies: readonly (string | undefined)[];
  /** Chunk size of the chain model (--chunk-bytes). */
  readonly chunkBytes: number;
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
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Runs the whole benchmark and returns its document. @throws BenchError, UsageError */
export async function runScaleBench(o: ScaleOptions): Promise<ScaleBenchDocument> {
  const workDir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-'));
  if (o.logDir !== undefined) mkdirSync(o.logDir, { recursive: true });
  const group = new ProcessGroup(o.cliBin, o.logDir);
  let topology: NetnsTopology | null = null;
  let cgroups: CpuCgroups | null = null;
  const cleanUp = (): void => {
    group.killAll();
    topology?.destroy();
    const left = cgroups?.destroy() ?? [];
    if (left.length > 0) o.log(`bench: could not remove the cgroups ${left.join(', ')} - help: rmdir them`);
    cgroups = null;
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
    const base: RunSettings = {
      layers: o.layers,
      batchSize: o.batchSize,
      dataset: o.dataset,
      warmup: o.warmup,
      steps: o.steps,
      workDir,
    };
    const dilation = dilationOf(o.cpuPerWorker);
    if (o.cpuPerWorker !== undefined) {
      cgroups = CpuCgroups.create(o.cpuPerWorker, findCpuCgroupRoot());
      o.log(`bench: ${cgroups.describe()}; the run is ${dilation.toFixed(2)}× slower than the machines it emulates`);
    }
    if (o.link && o.workers.length > 0) {
      topology = NetnsTopology.create(o.link, Math.max(...o.workers));
      o.log(`bench: ${topology.describe()}`);
    }
    const linkText = topology ? topology.describe() : 'loopback (127.0.0.1), one process per worker';
    const linkModel: LinkModel | null = o.link
      ? {
          ...(o.link.rateBitsPerSecond === undefined ? {} : { gbit: o.link.rateBitsPerSecond / 1e9 }),
          roundTripMs: 4 * (o.link.delayMs ?? 0),
        }
      : null;

    const local = o.syncEvery !== undefined && o.syncEvery > 1;
    if (local)
      o.log(
        `bench: local SGD: every distributed run is coordinator --sync-every ${o.syncEvery} --replicas ${o.replicas ?? 'W'}, its figures per inner step, its efficiency also against the synchronous step at W = 1 measured here; the cost model and its projections read them as synchronous steps`,
      );
    const series = o.workers.length > 0 ? allSeries(o.topologies, o.scalings) : [];
    const batchOf = (s: Series, w: number): number => batchForRun(s.scaling, w, o.batchSize, o.perWorkerBatch);
    const best = new Map<Series, Map<number, MeasuredRun>>(series.map((s) => [s, new Map()]));
    // Local SGD: the synchronous step at W = 1 of each series, the efficiency's reference.
    const syncBest = new Map<Series, MeasuredRun>();
    // Single-node `train` by "threads@batch": samples/s, the best of the repeats.
    const singles = new Map<string, number>();
    const trainKey = (threads: number, batch: number): string => `${threads}@${batch}`;
    // Without a quota: W·t threads at each run's batch. With one: t threads (one emulated
    // machine) at the batch one worker has, under the same quota.
    const trainRuns = new Map<string, { threads: number; batch: number }>();
    for (const s of series)
      for (const w of o.workers) {
        const run = cgroups
          ? { threads: o.threads, batch: s.scaling === 'weak' ? o.perWorkerBatch! : o.batchSize }
          : { threads: w * o.threads, batch: batchOf(s, w) };
        trainRuns.set(trainKey(run.threads, run.batch), run);
      }
    let model = { layers: [] as number[], parameters: 0, backend: 'unknown' };
    // The structural chain model's inputs, measured here, apart from the runs (chain-probes.ts).
    const probeChain = async () => {
      const samples = o.scalings.includes('weak') ? o.perWorkerBatch! : o.batchSize;
      let profile: ReturnType<typeof measureComputeProfile>;
      let hop: Awaited<ReturnType<typeof measureHopCost>>;
      const chunkFloats = Math.floor(o.chunkBytes / 4);
      try {
        profile = measureComputeProfile(model.layers, samples);
        hop = await measureHopCost(model.parameters, chunkFloats);
      } catch (err) {
        // The runs are measured already: the structural chain model is left out, not the bench.
        o.log(
          `bench: the chain model's inputs could not be measured (${(err as Error).message}): no structural chain model`,
        );
        return undefined;
      }
      const rate = o.link?.rateBitsPerSecond;
      o.log(
        `bench: chain model inputs: compute ${(profile.forwardBlocksMs.reduce((a, b) => a + b, 0) + profile.upperMs + profile.backwardBlocksMs.reduce((a, b) => a + b, 0)).toFixed(1)} ms for ${samples} samples on one core; a hop's CPU ${(hop.hopCpuMs * 1000).toFixed(0)} µs per chunk, an add ${(hop.addCpuMs * 1000).toFixed(0)} µs`,
      );
      return {
        profile,
        ...hop,
        chunkFloats,
        // tbf's bucket (netem.ts); netem's rate has none.
        burstBytes:
          topology?.qdisc === 'tbf' && rate !== undefined ? Math.max(128 * 1024, Math.round(rate / 8 / 1000)) : 0,
        cores: availableParallelism(),
        ...(o.cpuPerWorker === undefined ? {} : { quotaCores: o.cpuPerWorker }),
      };
    };
    for (let r = 1; r <= o.repeat; r++) {
      for (const s of series) {
        if (local) {
          const settings = { ...base, batchSize: batchOf(s, 1) };
          const { measured } = await runWorkers(group, settings, 1, o.threads, {
            topology,
            cgroups,
            coordinatorArgs: s.topology === undefined ? [] : ['--topology', s.topology],
            tag: `sync-${s.topology ?? 'default'}-${s.scaling}-w1-r${r}`,
          });
          o.log(
            `bench: ${seriesLabel(s)}, synchronous step, 1 worker (run ${r}/${o.repeat}): ${fmt(measured.samplesPerSecond)} samples/s, ${measured.stepMs.totalMs.toFixed(1)} ms/step`,
          );
          const kept = syncBest.get(s);
          if (!kept || measured.samplesPerSecond > kept.samplesPerSecond) syncBest.set(s, measured);
        }
        for (const w of o.workers) {
          const settings = { ...base, batchSize: batchOf(s, w) };
          // Plain "w2-r1" for the one default series, as before the series existed (log names).
          const prefix =
            series.length === 1 && s.topology === undefined ? '' : `${s.topology ?? 'default'}-${s.scaling}-`;
          const tag = `${prefix}w${w}-r${r}`;
          const { measured, layers, parameters, backend } = await runWorkers(group, settings, w, o.threads, {
            topology,
            cgroups,
            coordinatorArgs: s.topology === undefined ? [] : ['--topology', s.topology],
            tag,
            ...(o.syncEvery === undefined ? {} : { syncEvery: o.syncEvery }),
            ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
          });
          model = { layers, parameters, backend };
          o.log(
            `bench: ${seriesLabel(s)}, ${plural(w, 'worker')} × ${plural(o.threads, 'thread')}, batch ${settings.batchSize} (run ${r}/${o.repeat}): ${fmt(measured.samplesPerSecond)} samples/s, ${measured.stepMs.totalMs.toFixed(1)} ms/step`,
          );
          const kept = best.get(s)!;
          if (!kept.has(w) || measured.samplesPerSecond > kept.get(w)!.samplesPerSecond) kept.set(w, measured);
        }
      }
      if (!o.singleNode) continue;
      for (const [key, t] of trainRuns) {
        const place = cgroups ? (pid: number) => cgroups!.place(pid, 'train') : undefined;
        const settings = { ...base, batchSize: t.batch };
        const measured = await runSingleNode(
          group,
          settings,
          t.threads,
          `single-t${t.threads}-b${t.batch}-r${r}`,
          place,
        );
        o.log(
          `bench: train --threads ${t.threads} --batch-size ${t.batch}${cgroups ? ` (${o.cpuPerWorker} cores)` : ''} (run ${r}/${o.repeat}): ${fmt(measured.samplesPerSecond)} samples/s`,
        );
        singles.set(key, Math.max(singles.get(key) ?? 0, measured.samplesPerSecond));
      }
    }

    const synthetic: SyntheticResult[] = [];
    for (const layers of o.syntheticLayers) {
      for (const k of o.synthetic) {
        let kept: SyntheticResult | null = null;
        for (let r = 1; r <= o.repeat; r++) {
          const { coordinatorLog: _log, ...result } = await runSynthetic(
            group,
            { ...base, steps: o.syntheticSteps },
            k,
            layers,
            `syn-k${k}-l${layers.replace(/\D+/g, '_')}-r${r}`,
          );
          o.log(
            `bench: ${plural(k, 'synthetic client')}, ${fmt(result.parameters)} parameters (run ${r}/${o.repeat}): ${result.stepsPerSecond.toFixed(1)} steps/s, ${result.megabytesPerSecond.toFixed(0)} MB/s`,
          );
          if (!kept || result.stepsPerSecond > kept.stepsPerSecond) kept = result;
        }
        synthetic.push(kept!);
        if (model.parameters === 0)
          model = { layers: [...kept!.layers], parameters: kept!.parameters, backend: 'none (synthetic)' };
      }
    }

    const measuredSeries: MeasuredSeries[] = series.map((s) => {
      const runs = best.get(s)!;
      // Without a quota, each row's own W·t-thread `train` (vsSingleNode), as before.
      const sameThreads = new Map<number, number>();
      if (!cgroups)
        for (const w of runs.keys()) {
          const rate = singles.get(trainKey(w * o.threads, batchOf(s, w)));
          if (rate !== undefined) sameThreads.set(w * o.threads, rate);
        }
      const train = cgroups
        ? singles.get(trainKey(o.threads, s.scaling === 'weak' ? o.perWorkerBatch! : o.batchSize))
        : undefined;
      const sync = syncBest.get(s);
      const rows: ScaleResult[] = scaleResults(runs, o.threads, sameThreads).map((row) => ({
        ...row,
        ...(sync && sync.samplesPerSecond > 0
          ? { efficiencyVsSync: row.samplesPerSecond / (row.workers * sync.samplesPerSecond) }
          : {}),
        ...(s.topology === undefined ? {} : { topology: s.topology }),
        scaling: s.scaling,
        series: seriesLabel(s),
        ...(cgroups
          ? {
              undilated: {
                samplesPerSecond: row.samplesPerSecond * dilation,
                stepMs: undilateStep(row.stepMs, dilation),
              },
            }
          : {}),
        ...(train === undefined
          ? {}
          : {
              trainSamplesPerSecond: train,
              efficiencyVsTrain: train > 0 ? row.samplesPerSecond / (row.workers * train) : 0,
            }),
      }));
      return { series: s, rows };
    });
    const results = measuredSeries.flatMap((m) => m.rows);
    const chainProbes =
      series.some((s) => s.topology === 'chain') && model.parameters > 0 ? await probeChain() : undefined;
    const models = fitModels({
      series: measuredSeries,
      synthetic,
      parameters: model.parameters,
      link: linkModel,
      network: o.link?.text ?? 'loopback',
      dilation,
      // Each process has a quota of its own: no sharing of cores to correct for.
      cores: cgroups ? Number.POSITIVE_INFINITY : availableParallelism(),
      batchSize: o.batchSize,
      perWorkerBatch: o.perWorkerBatch ?? o.batchSize,
      threads: o.threads,
      chunkBytes: o.chunkBytes,
      ...(chainProbes ? { chainProbes } : {}),
    });
    const first = measuredSeries[0]?.rows ?? [];
    const largest = first[first.length - 1];
    const largestTrain =
      largest && !cgroups ? singles.get(trainKey(largest.workers * o.threads, o.batchSize)) : undefined;
    const singleNodeRuns: SingleNodeResult[] = [...trainRuns]
      .filter(([key]) => singles.has(key))
      .map(([key, t]) => ({ threads: t.threads, samplesPerSecond: singles.get(key)! }));
    return {
      benchmark: 'scale',
      network: model.layers.join('-'),
      batchSize: o.batchSize,
      threadsPerWorker: o.threads,
      results,
      ...(largest && largestTrain !== undefined
        ? { singleNode: { threads: largest.workers * o.threads, samplesPerSecond: largestTrain } }
        : {}),
      ...models,
      ...(synthetic.length > 0 ? { synthetic } : {}),
      link: linkText,
      ...(o.cpuPerWorker === undefined ? {} : { cpuPerWorker: o.cpuPerWorker }),
      dilation,
      ...(o.perWorkerBatch === undefined ? {} : { perWorkerBatch: o.perWorkerBatch }),
      chunkBytes: o.chunkBytes,
      ...(local
        ? {
            localSgd: {
              syncEvery: o.syncEvery!,
              ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
              synchronous: [...syncBest].map(([s, m]) => ({
                series: seriesLabel(s),
                samplesPerSecond: m.samplesPerSecond,
                stepMs: m.stepMs.totalMs,
                bytesPerStep: m.bytesPerStep,
              })),
            },
          }
        : {}),
      ...(cgroups
        ? {
            trainUnderQuota: [...trainRuns]
              .filter(([key]) => singles.has(key))
              .map(([key, t]) => ({ batchSize: t.batch, threads: t.threads, samplesPerSecond: singles.get(key)! })),
          }
        : {}),
      model: { ...model, dataset: o.dataset },
      warmupSteps: o.warmup,
      measuredSteps: o.steps,
      ...(synthetic.length > 0 ? { syntheticMeasuredSteps: o.syntheticSteps } : {}),
      repeat: o.repeat,
      ...(singleNodeRuns.length > 0 ? { singleNodeRuns } : {}),
      machine: {
        cpus: availableParallelism(),
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
