/**
 * `gradswarm launch`: the one command every process of a job runs (srun, torchrun --no-python, a
 * Kubernetes Indexed Job). Each reads its rank, the world size and rank 0's address from the
 * environment (launch-env.ts); rank 0 becomes the coordinator, computing with its own threads
 * and waiting for WORLD_SIZE − 1 workers; every other rank joins it as a worker, with its own
 * copy of the data set when that copy's fingerprint is the run's. The token is the same on every
 * rank, from GRADSWARM_TOKEN or --token-file; without one every rank stops at once.
 */
import { parseDurationMs } from '../parse.js';
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { isIP } from 'node:net';
import { resolveTrainingOptions } from '@gradswarm/coordinator';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { encodeDataset } from '@gradswarm/data';
import { weakTokenReason } from '@gradswarm/protocol';
import { WorkerClient } from '@gradswarm/worker/node';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_INTERRUPTED, UsageError } from '../errors.js';
import { examples } from '../help-layout.js';
import { listenUrls } from '../listen-addresses.js';
import { loadTrainingData } from '../load-data.js';
import { runTraining, type TrainingArgs, trainingOptions } from '../run-training.js';
import { networkFlags } from './coordinator.js';
import { type LaunchIdentity, resolveLaunchIdentity } from './launch-env.js';
import { waitForRankZero } from './launch-wait.js';
import { trainFlags } from './train.js';
import { defaultCacheDir, serveUntilDone } from './worker.js';

interface LaunchArgs extends TrainingArgs {
  host: string;
  port?: number;
  service?: string;
  tokenFile?: string;
  minWorkers?: number;
  stepTimeout: number;
  heartbeatInterval: number;
  giveUpAfter: string;
  dataCache: string;
  localData: boolean;
}

/**
 * The job's token: --token-file (trailing newline dropped, as `echo` and Secrets leave it) or
 * else GRADSWARM_TOKEN.
 * @throws UsageError when neither gives one, or the token is too weak
 */
export function readLaunchToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv, who: string): string {
  let token: string | undefined;
  let source = 'GRADSWARM_TOKEN';
  if (tokenFile !== undefined) {
    source = `--token-file ${tokenFile}`;
    try {
      token = readFileSync(tokenFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new GradswarmError(ErrorCode.DATA_IO, `${who}: cannot read --token-file ${tokenFile}: ${fsReason(err)}`);
    }
  } else token = env.GRADSWARM_TOKEN;
  if (token === undefined || token === '')
    throw new UsageError(
      `${who}: no token - help: set GRADSWARM_TOKEN or pass --token-file FILE on every rank, the same secret everywhere (e.g. openssl rand -hex 32)`,
    );
  const weak = weakTokenReason(token, source);
  if (weak !== undefined) throw new UsageError(`${who}: ${weak}`);
  return token;
}

function checkFlags(args: LaunchArgs): void {
  for (const [flag, v] of [
    ['step-timeout', args.stepTimeout],
    ['heartbeat-interval', args.heartbeatInterval],
  ] as const) {
    if (!Number.isInteger(v) || v < 10)
      throw new UsageError(`--${flag} must be an integer number of milliseconds >= 10, got ${v}`);
  }
  if (args.minWorkers !== undefined && !(Number.isInteger(args.minWorkers) && args.minWorkers >= 0))
    throw new UsageError(`--min-workers must be a non-negative integer, got ${args.minWorkers}`);
  parseDurationMs('give-up-after', args.giveUpAfter, 'm');
}

async function runRankZero(args: LaunchArgs, id: LaunchIdentity, token: string, who: string): Promise<number> {
  const minWorkers = args.minWorkers ?? id.worldSize - 1;
  if (minWorkers > id.worldSize - 1)
    throw new UsageError(`--min-workers ${minWorkers} is more than the ${id.worldSize - 1} other ranks of the job`);
  if (args.threads === 0 && minWorkers === 0)
    throw new UsageError(`${who}: --threads 0 with no worker to wait for would have nobody to compute`);
  try {
    return await trainAsRankZero(args, id, token, who, minWorkers);
  } catch (err) {
    // torchrun's own agent may hold MASTER_PORT (its static rendezvous store): say what to do instead.
    if (
      err instanceof GradswarmError &&
      err.code === ErrorCode.LISTEN &&
      id.source === 'torchrun' &&
      args.port === undefined
    )
      throw new GradswarmError(
        ErrorCode.LISTEN,
        `${who}: ${err.message.replace(/ - help: .*$/, '')} - help: torchrun's agent may hold MASTER_PORT; give every rank the same free --port`,
      );
    throw err;
  }
}

function trainAsRankZero(
  args: LaunchArgs,
  id: LaunchIdentity,
  token: string,
  who: string,
  minWorkers: number,
): Promise<number> {
  return runTraining(args, 'coordinator', availableParallelism(), {
    network: {
      host: args.host,
      port: id.port,
      token,
      stepTimeoutMs: args.stepTimeout,
      heartbeatIntervalMs: args.heartbeatInterval,
      worldSize: id.worldSize,
      // Workers dial the rendezvous name (a Slurm node name, a Kubernetes Service), which may not be this host's own.
      ownHosts: [id.rendezvousHost],
    },
    dashboardTokens: [token],
    minWorkers,
    announce: (listening) => {
      const [url] = listenUrls(listening, args.host);
      process.stderr.write(
        `${who}: coordinator listening on ${url} (workers dial ${id.rendezvousHost}:${id.port}); waiting for ${minWorkers} of ${id.worldSize - 1} workers\n`,
      );
    },
  });
}

/** The encoded data set as this rank reads it, or undefined (then it is downloaded from rank 0). */
function localCopy(args: LaunchArgs, log: (line: string) => void): Uint8Array | undefined {
  if (!args.localData) return undefined;
  try {
    const data = loadTrainingData({
      dataset: args.dataset,
      test: args.test,
      testFraction: args.testFraction,
      scale: args.scale as 'none',
      labelColumn: args.labelColumn,
      header: args.header,
      seed: args.seed,
    });
    return encodeDataset(data.train);
  } catch (err) {
    log(`data: cannot read --dataset here (${(err as Error).message}); it will be downloaded from rank 0`);
    return undefined;
  }
}

async function runWorkerRank(args: LaunchArgs, id: LaunchIdentity, token: string, who: string): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${who}: ${line}\n`);
  if (args.threads !== undefined && !(Number.isInteger(args.threads) && args.threads >= 1))
    throw new UsageError(`--threads must be a positive integer on a worker rank, got ${args.threads}`);
  const host = isIP(id.rendezvousHost) === 6 ? `[${id.rendezvousHost}]` : id.rendezvousHost;
  const url = `ws://${host}:${id.port}`;
  const giveUpAfterMs = parseDurationMs('give-up-after', args.giveUpAfter, 'm');
  let stopped = false;
  const onSignal = (): void => {
    stopped = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let up: boolean;
  try {
    up = await waitForRankZero(`http://${host}:${id.port}/status`, giveUpAfterMs, () => stopped);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!up) return EXIT_INTERRUPTED;
  const client = new WorkerClient({
    url,
    token,
    threads: args.threads,
    backend: args.kernel,
    label: `rank ${id.rank} on ${hostname()}`,
    dataCacheDir: args.dataCache === 'none' ? undefined : args.dataCache,
    localDataset: localCopy(args, log),
    worldSize: id.worldSize,
    giveUpAfterMs,
    log,
  });
  return serveUntilDone(client, url, log);
}

async function run(args: LaunchArgs): Promise<number> {
  const id = resolveLaunchIdentity(process.env, { port: args.port, service: args.service });
  const who = `launch: rank ${id.rank}/${id.worldSize} (${id.source})`;
  const token = readLaunchToken(args.tokenFile, process.env, who);
  checkFlags(args);
  // Every rank checks the training flags, so a typo stops the whole job at once, not only rank 0.
  resolveTrainingOptions(trainingOptions(args));
  return id.rank === 0 ? runRankZero(args, id, token, who) : runWorkerRank(args, id, token, who);
}

export function launchCommand(setExitCode: (code: number) => void): CommandModule<object, LaunchArgs> {
  const launchFlags = {
    host: { ...networkFlags.host, default: '0.0.0.0', describe: 'address rank 0 listens on' },
    port: {
      type: 'number',
      describe: 'port of rank 0, the same on every rank [MASTER_PORT, else 7733]',
      group: 'Network:',
    },
    service: {
      type: 'string',
      describe: 'Kubernetes: the headless Service naming rank 0’s pod [$GRADSWARM_SERVICE]',
      group: 'Network:',
    },
    'token-file': {
      type: 'string',
      describe: 'file holding the job’s token (a mounted Secret, the shared file system) [$GRADSWARM_TOKEN]',
      group: 'Network:',
    },
    'min-workers': {
      type: 'number',
      describe: 'rank 0: workers to wait for before the first step [WORLD_SIZE - 1]',
      group: 'Network:',
    },
    'step-timeout': networkFlags['step-timeout'],
    'heartbeat-interval': networkFlags['heartbeat-interval'],
    'give-up-after': {
      type: 'string',
      default: '10',
      describe: 'worker ranks: how long without reaching rank 0 before giving up (minutes, or 90s, 500ms, 1h)',
      group: 'Network:',
    },
    'data-cache': {
      type: 'string',
      default: defaultCacheDir(),
      describe: 'worker ranks: directory of downloaded data sets ("none": memory only)',
      group: 'Network:',
    },
    'local-data': {
      type: 'boolean',
      default: true,
      describe: 'worker ranks: read --dataset here and use it when its fingerprint is rank 0’s',
      group: 'Network:',
    },
  } as const;
  return {
    command: 'launch',
    describe: 'one command for every rank of a Slurm, torchrun or Kubernetes job (rank 0 coordinates)',
    builder: (y: Argv) =>
      examples(
        y
          .options({ ...trainFlags, balance: { ...trainFlags.balance, default: 'throughput' }, ...launchFlags })
          .alias('local-threads', 'threads'),
        [
          ['srun --ntasks 4 $0 launch --token-file ~/.gradswarm-token --reproducible 8 --out model.json', 'Slurm'],
          ['torchrun --no-python --nnodes 2 --node-rank 0 … $0 launch --dataset mnist', 'torchrun'],
        ],
      ) as unknown as Argv<LaunchArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
