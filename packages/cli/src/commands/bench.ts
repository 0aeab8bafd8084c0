/**
 * `gradswarm bench <benchmark>`: benchmarks that drive real coordinator, worker and train
 * processes. `bench scale` measures scale-out (@gradswarm/bench, packages/bench/src/scale.ts): samples/s, speedup and
 * efficiency per worker count with a per-step breakdown, the single-node figure for the same
 * threads, coordinator capacity with synthetic clients, optional shaped links (--netem), and an
 * α–β model projecting larger clusters.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { parseIntList } from '../parse.js';
import {
  assertCanLimitCpu,
  assertCanShape,
  checkCpuCores,
  DEFAULT_CHUNK_BYTES,
  formatScaleReport,
  MAX_NAMESPACES,
  parseLinkSpec,
  runScaleBench,
  type ScaleOptions,
} from '@gradswarm/bench';
import { renderScaleReport } from '@gradswarm/report';
import { writeFileAtomic } from '@gradswarm/data/node';

interface ScaleArgs {
  workers: string;
  threads: number;
  layers: string;
  batchSize: number;
  dataset: string;
  warmup: number;
  steps: number;
  repeat: number;
  netem?: string;
  cpuPerWorker?: number;
  perWorkerBatch?: number;
  scaling?: string;
  topology?: string;
  syncEvery: number;
  replicas?: number;
  chunkBytes: number;
  synthetic?: string;
  syntheticLayers: string;
  syntheticSteps: number;
  singleNode: boolean;
  json: boolean;
  report?: string;
  out?: string;
  keepLogs?: string;
}

/** This CLI's entry script (packages/cli/bin/gradswarm.js, beside dist/): what the bench's children run. */
const CLI_BIN = fileURLToPath(new URL('../../bin/gradswarm.js', import.meta.url));
/** Most worker processes one run may start (each holds the data set and a thread pool). */
const MAX_WORKERS = 64;
/** Most synthetic clients in one run. */
const MAX_SYNTHETIC = 1024;

const scaleFlags = {
  workers: {
    type: 'string',
    default: '1,2',
    describe: 'worker counts W to measure, must include 1 (0: none, e.g. with --synthetic only)',
  },
  threads: { type: 'number', default: 1, describe: 'threads per worker' },
  layers: { type: 'string', default: '512', describe: 'hidden layer sizes (or all sizes), as train --layers' },
  'batch-size': { type: 'number', default: 1000, describe: 'samples per step, split equally over the workers' },
  dataset: { type: 'string', default: 'mnist', describe: 'training data, as train --dataset' },
  warmup: {
    type: 'number',
    default: 5,
    describe: 'leading steps of each run not measured (≥ 1: the first carries the data download)',
  },
  steps: { type: 'number', default: 30, describe: 'measured steps per run' },
  repeat: { type: 'number', default: 1, describe: 'runs per configuration; the fastest is kept' },
  netem: {
    type: 'string',
    describe: 'shape every link, e.g. "rate=1gbit,delay=0.2ms": each process in its own network namespace (root)',
  },
  'cpu-per-worker': {
    type: 'number',
    describe:
      'limit every worker, the coordinator and train to F cores, each in its own cgroup (root): with --netem rate=R they emulate 1-core machines on R/F links, 1/F times slower',
  },
  'per-worker-batch': {
    type: 'number',
    describe:
      'weak scaling: B samples per worker, a global batch of B·W (runs beside the strong-scaling --batch-size rows)',
  },
  scaling: {
    type: 'string',
    describe: 'which rows to run: strong, weak or strong,weak [strong; strong,weak with --per-worker-batch]',
  },
  topology: {
    type: 'string',
    describe: 'pass coordinator --topology T for each T of the list, side by side (e.g. chain,star) [not passed]',
  },
  'sync-every': {
    type: 'number',
    default: 1,
    describe:
      'H > 1: every distributed run is local SGD, coordinator --sync-every H --replicas R, figures per inner step; the synchronous step at W = 1 is measured too, efficiency vs sync = samples/s / (W × its samples/s)',
  },
  replicas: {
    type: 'number',
    describe: 'R of the --sync-every runs, at least the most --workers [W of each run: one replica per worker]',
  },
  'chunk-bytes': {
    type: 'number',
    default: DEFAULT_CHUNK_BYTES,
    describe: 'chunk size the chain cost model assumes, bytes',
  },
  synthetic: { type: 'string', describe: 'coordinator capacity with K synthetic clients, e.g. 1,8,32,128' },
  'synthetic-layers': {
    type: 'string',
    default: '128,1200',
    describe:
      'hidden size of each --synthetic model, comma-separated (256-64: two layers); 128: ~100k, 1200: ~1M parameters',
  },
  'synthetic-steps': {
    type: 'number',
    default: 10,
    describe: 'measured steps of each --synthetic run (after --warmup)',
  },
  'single-node': {
    type: 'boolean',
    default: true,
    describe: 'also measure train with workers × threads threads (--no-single-node to skip)',
  },
  json: { type: 'boolean', default: false, describe: 'print the result document as one JSON line instead of tables' },
  report: { type: 'string', describe: 'write a self-contained HTML report here' },
  out: { type: 'string', describe: 'also write the result document (JSON) here' },
  'keep-logs': { type: 'string', describe: 'keep every child process’s output in this directory' },
} as const;

function positive(flag: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got ${v}`);
}

/** Checks the flags and builds the benchmark's options. @throws UsageError */
export function scaleOptions(args: ScaleArgs, log: (line: string) => void): ScaleOptions {
  positive('threads', args.threads);
  positive('batch-size', args.batchSize);
  positive('warmup', args.warmup);
  positive('steps', args.steps);
  positive('repeat', args.repeat);
  positive('synthetic-steps', args.syntheticSteps);
  positive('sync-every', args.syncEvery);
  if (args.replicas !== undefined) {
    positive('replicas', args.replicas);
    if (args.syncEvery === 1)
      throw new UsageError('--replicas is for local SGD - help: add --sync-every H (> 1), or leave --replicas out');
  }
  const workers =
    String(args.workers).trim() === '0'
      ? []
      : [...new Set(parseIntList('workers', args.workers, '1,2,4'))].sort((a, b) => a - b);
  if (workers.length > 0 && workers[0] !== 1)
    throw new UsageError(
      `--workers must include 1, since speedup is over one worker; got "${args.workers}" - help: e.g. --workers 1,2,4`,
    );
  if (workers.some((w) => w > MAX_WORKERS))
    throw new UsageError(`--workers must be at most ${MAX_WORKERS} per run, got "${args.workers}"`);
  if (workers.some((w) => w > args.batchSize))
    throw new UsageError(
      `--workers must not exceed --batch-size ${args.batchSize} (every worker needs a sample), got "${args.workers}"`,
    );
  const synthetic =
    args.synthetic === undefined
      ? []
      : [...new Set(parseIntList('synthetic', args.synthetic, '1,8,32,128'))].sort((a, b) => a - b);
  if (synthetic.some((k) => k > Math.min(MAX_SYNTHETIC, args.batchSize))) {
    throw new UsageError(
      `--synthetic must be at most ${Math.min(MAX_SYNTHETIC, args.batchSize)} clients (≤ ${MAX_SYNTHETIC} and ≤ --batch-size), got "${args.synthetic}"`,
    );
  }
  // One model per comma; a model of several hidden layers joins them with '-' (256-64).
  const syntheticLayers = String(args.syntheticLayers)
    .split(',')
    .map((s) => s.trim());
  if (syntheticLayers.some((l) => !/^[1-9]\d*(-[1-9]\d*)*$/.test(l))) {
    throw new UsageError(
      `--synthetic-layers must be hidden sizes, one model per comma (256-64 for two layers), got "${args.syntheticLayers}" - help: e.g. --synthetic-layers 128,1200`,
    );
  }
  parseIntList('layers', args.layers, '512 (hidden sizes) or 784,512,10');
  if (args.replicas !== undefined && workers.some((w) => w > args.replicas!))
    throw new UsageError(
      `--replicas ${args.replicas} is fewer than the most --workers (${Math.max(...workers)}): a worker would have no replica - help: --replicas ${Math.max(...workers)}`,
    );
  if (workers.length === 0 && synthetic.length === 0)
    throw new UsageError(
      '--workers 0 without --synthetic measures nothing - help: give --workers 1,2 or --synthetic 1,8',
    );
  let link;
  if (args.netem !== undefined) {
    link = parseLinkSpec(args.netem);
    if (workers.length === 0)
      throw new UsageError(
        '--netem shapes the links of worker processes, and --workers 0 starts none - help: give --workers 1,2',
      );
    if (workers[workers.length - 1] >= MAX_NAMESPACES)
      throw new UsageError(`--netem supports at most ${MAX_NAMESPACES - 1} workers`);
    assertCanShape();
  }
  if (args.perWorkerBatch !== undefined) positive('per-worker-batch', args.perWorkerBatch);
  positive('chunk-bytes', args.chunkBytes, 4);
  const scalingText = args.scaling ?? (args.perWorkerBatch === undefined ? 'strong' : 'strong,weak');
  const scalings = [
    ...new Set(
      String(scalingText)
        .split(',')
        .map((s) => s.trim()),
    ),
  ];
  if (scalings.length === 0 || scalings.some((s) => s !== 'strong' && s !== 'weak'))
    throw new UsageError(`--scaling takes strong, weak or strong,weak, got "${scalingText}"`);
  if (scalings.includes('weak') && args.perWorkerBatch === undefined)
    throw new UsageError(
      '--scaling weak needs --per-worker-batch B (samples per worker) - help: e.g. --per-worker-batch 1000',
    );
  // The coordinator's --topology is passed only when asked for, so the bench runs against a
  // coordinator without the flag too.
  const topologies =
    args.topology === undefined
      ? [undefined]
      : [
          ...new Set(
            String(args.topology)
              .split(',')
              .map((s) => s.trim()),
          ),
        ];
  if (topologies.some((t) => t !== undefined && !/^[a-z][a-z-]*$/.test(t)))
    throw new UsageError(`--topology takes a list of topologies, e.g. chain,star; got "${args.topology}"`);
  const cores = availableParallelism();
  if (args.cpuPerWorker !== undefined) {
    checkCpuCores(args.cpuPerWorker);
    if (workers.length === 0)
      throw new UsageError(
        '--cpu-per-worker limits worker processes, and --workers 0 starts none - help: give --workers 1,2',
      );
    assertCanLimitCpu();
    const demand = ((workers[workers.length - 1] ?? 0) + 1) * args.cpuPerWorker;
    if (demand > cores)
      log(
        `bench: note: ${workers[workers.length - 1]} workers and the coordinator at ${args.cpuPerWorker} cores each ask for ${demand.toFixed(1)} of ${cores} cores: the quotas cannot all be met, so the largest runs are slower than the machines they emulate`,
      );
  }
  const most = (workers[workers.length - 1] ?? 0) * args.threads;
  if (args.cpuPerWorker === undefined && most > cores)
    log(
      `bench: note: ${most} worker threads on ${cores} cores share them; separate machines would not (see the projection)`,
    );
  return {
    workers,
    threads: args.threads,
    layers: args.layers,
    batchSize: args.batchSize,
    dataset: args.dataset,
    warmup: args.warmup,
    steps: args.steps,
    repeat: args.repeat,
    link,
    ...(args.cpuPerWorker === undefined ? {} : { cpuPerWorker: args.cpuPerWorker }),
    ...(args.perWorkerBatch === undefined ? {} : { perWorkerBatch: args.perWorkerBatch }),
    scalings: scalings as ('strong' | 'weak')[],
    topologies,
    ...(args.syncEvery > 1 ? { syncEvery: args.syncEvery } : {}),
    ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
    chunkBytes: args.chunkBytes,
    singleNode: args.singleNode,
    synthetic,
    syntheticLayers: synthetic.length > 0 ? syntheticLayers.map((l) => l.replaceAll('-', ',')) : [],
    syntheticSteps: args.syntheticSteps,
    logDir: args.keepLogs,
    command: `gradswarm ${process.argv.slice(2).join(' ')}`,
    cliBin: CLI_BIN,
    log,
  };
}

async function runScale(args: ScaleArgs): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const options = scaleOptions(args, log);
  const doc = await runScaleBench(options);
  if (args.out !== undefined) {
    writeFileAtomic(args.out, `${JSON.stringify(doc, null, 2)}\n`);
    log(`bench: JSON written to ${args.out}`);
  }
  if (args.report !== undefined) {
    writeFileAtomic(args.report, renderScaleReport(doc));
    log(`bench: HTML report written to ${args.report}`);
  }
  process.stdout.write(args.json ? `${JSON.stringify(doc)}\n` : formatScaleReport(doc));
  return EXIT_OK;
}

function scaleCommand(setExitCode: (code: number) => void): CommandModule<object, ScaleArgs> {
  return {
    command: 'scale',
    describe: 'scale-out: samples/s, speedup and where each step’s time goes, for 1…W worker processes',
    builder: (y: Argv) =>
      examples(y.options(scaleFlags), [
        ['$0 bench scale --workers 1,2,4', 'loopback, one thread per worker'],
        ['$0 bench scale --netem "rate=1gbit,delay=0.2ms"', 'shaped links in network namespaces (root)'],
        ['$0 bench scale --workers 0 --synthetic 1,8,32,128', 'coordinator capacity only'],
        [
          '$0 bench scale --workers 1,2,4,8 --cpu-per-worker 0.2 --netem rate=200mbit --per-worker-batch 1000',
          '1-core machines on 1 Gbit/s links, 5× slowed down (root)',
        ],
      ]) as unknown as Argv<ScaleArgs>,
    handler: async (args) => setExitCode(await runScale(args)),
  };
}

export function benchCommand(setExitCode: (code: number) => void): CommandModule {
  return {
    command: 'bench',
    describe: 'benchmarks with real processes: bench scale',
    builder: (y: Argv) => y.command(scaleCommand(setExitCode)).demandCommand(1, 'name a benchmark: scale'),
    handler: () => undefined,
  };
}
