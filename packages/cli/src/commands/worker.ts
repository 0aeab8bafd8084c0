/**
 * `gradswarm worker`: joins a coordinator and computes shards with this machine's threads until
 * the run is finished; reconnects with backoff when the link drops; stops with a clear message
 * when refused.
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { WorkerClient, type WorkerExit } from '@gradswarm/worker/node';
import type { Argv, CommandModule } from 'yargs';
import { KERNEL_DESCRIBE } from '../flags.js';
import { examples } from '../help-layout.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError } from '../errors.js';
import { parseDurationMs } from '../parse.js';

interface WorkerArgs {
  connect: string;
  token?: string;
  threads?: number;
  dataCache: string;
  tlsCa?: string;
  tlsFingerprint?: string;
  label?: string;
  kernel?: string;
  giveUpAfter: string;
  peerPort: number;
  listen: boolean;
  advertiseHost?: string;
}

/** Where downloaded data sets are kept by default (XDG cache). */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gradswarm', 'datasets');
}

async function run(args: WorkerArgs): Promise<number> {
  const token = args.token ?? process.env.GRADSWARM_TOKEN;
  if (!token)
    throw new UsageError(
      '--token is required (or $GRADSWARM_TOKEN) - help: copy the join command the coordinator printed',
    );
  if (!/^wss?:\/\/[^/]+/.test(args.connect))
    throw new UsageError(
      `--connect must be a ws:// or wss:// address, got "${args.connect}" - help: e.g. --connect ws://10.0.0.5:7733`,
    );
  if (args.threads !== undefined && !(Number.isInteger(args.threads) && args.threads >= 1))
    throw new UsageError(`--threads must be a positive integer, got ${args.threads}`);
  const giveUpAfterMs = parseDurationMs('give-up-after', args.giveUpAfter, 'm');
  let ca: Buffer | undefined;
  if (args.tlsCa !== undefined) {
    try {
      ca = readFileSync(args.tlsCa);
    } catch (err) {
      throw new GradswarmError(ErrorCode.DATA_IO, `cannot read --tls-ca ${args.tlsCa}: ${fsReason(err)}`);
    }
  }
  if (
    args.tlsFingerprint !== undefined &&
    !/^[0-9a-f]{64}$/.test(args.tlsFingerprint.replace(/:/g, '').toLowerCase())
  ) {
    throw new UsageError(
      `--tls-fingerprint must be the certificate's SHA-256 as 64 hex digits (colons allowed), got "${args.tlsFingerprint}" - help: copy it from the join command the coordinator printed`,
    );
  }
  if (args.tlsFingerprint !== undefined && !args.connect.startsWith('wss://'))
    throw new UsageError('--tls-fingerprint needs a wss:// address in --connect');
  if (!(Number.isInteger(args.peerPort) && args.peerPort >= 0 && args.peerPort <= 65535))
    throw new UsageError(`--peer-port must be a port number 0-65535 (0: any free port), got ${args.peerPort}`);
  if (args.advertiseHost !== undefined && !/^[\w.:[\]-]+$/.test(args.advertiseHost))
    throw new UsageError(`--advertise-host must be a host name or address, got "${args.advertiseHost}"`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const client = new WorkerClient({
    peerPort: args.listen ? args.peerPort : null,
    ...(args.advertiseHost ? { advertiseHost: args.advertiseHost } : {}),
    url: args.connect,
    token,
    threads: args.threads,
    backend: args.kernel,
    label: args.label ?? hostname(),
    dataCacheDir: args.dataCache === 'none' ? undefined : args.dataCache,
    ca,
    tlsFingerprint: args.tlsFingerprint,
    giveUpAfterMs,
    log,
  });
  return serveUntilDone(client, args.connect, log);
}

/**
 * Runs a built WorkerClient to its end (SIGINT/SIGTERM stop it after the current step) and
 * resolves with the exit code; `launch`'s worker ranks use it too.
 */
export async function serveUntilDone(
  client: WorkerClient,
  connect: string,
  log: (line: string) => void,
): Promise<number> {
  const onSignal = (): void => client.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log(`worker: joining ${connect}`);
  try {
    const exit = await client.run();
    switch (exit.reason) {
      case 'finished':
        log(
          `worker: the run is finished (${exit.steps} steps served${chainText(exit)}${exit.afterFinal ? `; the link closed after the last step (${exit.message})` : ''})`,
        );
        return EXIT_OK;
      case 'stopped':
        log(`worker: stopped after ${exit.steps} steps`);
        return EXIT_INTERRUPTED;
      case 'refused':
        log(`gradswarm: error: ${exit.message}`);
        return EXIT_USAGE;
      case 'failed':
        log(`gradswarm: error: ${exit.message}`);
        return EXIT_FAILURE;
      default:
        log(`gradswarm: error: ${exit.message} - help: check --connect and that the coordinator runs`);
        return EXIT_FAILURE;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function workerCommand(setExitCode: (code: number) => void): CommandModule<object, WorkerArgs> {
  return {
    command: 'worker',
    describe: 'join a coordinator and compute gradients with this machine’s threads',
    builder: (y: Argv) =>
      examples(
        y.options({
          connect: {
            type: 'string',
            demandOption: true,
            describe: 'coordinator address, ws://host:port or wss://host:port',
          },
          token: { type: 'string', describe: 'the coordinator’s token [$GRADSWARM_TOKEN]' },
          threads: { type: 'number', describe: 'threads to compute with [number of cores]' },
          'data-cache': {
            type: 'string',
            default: defaultCacheDir(),
            describe: 'directory of downloaded data sets, by fingerprint ("none": keep in memory)',
          },
          'tls-ca': {
            type: 'string',
            describe: 'PEM certificate to trust for wss:// (e.g. the coordinator’s self-signed one)',
          },
          'tls-fingerprint': {
            type: 'string',
            describe:
              'trust only the wss:// certificate with this SHA-256 fingerprint (hex, as the join command prints it)',
          },
          label: { type: 'string', describe: 'name shown in the coordinator’s logs [host name]' },
          kernel: { type: 'string', describe: KERNEL_DESCRIBE },
          'peer-port': {
            type: 'number',
            default: 0,
            describe: 'port for chain peer links from the previous worker of the chain (0: any free port)',
          },
          listen: {
            type: 'boolean',
            default: true,
            describe:
              'accept chain peer links; --no-listen (NAT, firewall): the coordinator serves this worker by the star',
          },
          'advertise-host': {
            type: 'string',
            describe: 'host name or address chain peers dial [the address the coordinator sees]',
          },
          'give-up-after': {
            type: 'string',
            // Long enough for a coordinator to be restarted with --resume after a crash.
            default: '10',
            describe: 'minutes without a coordinator to serve before giving up (or 90s, 500ms, 1h)',
          },
        }),
        [['$0 worker --connect ws://10.0.0.5:7733 --token T', 'join a coordinator']],
      ) as unknown as Argv<WorkerArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}

/** ", 12 on the chain: 3256512 bytes sent, 3256512 received per chain step over peer links" (nothing without chain steps). */
function chainText(exit: WorkerExit): string {
  if (exit.chainSteps === 0) return '';
  const per = (bytes: number): number => Math.round(bytes / exit.chainSteps);
  return `, ${exit.chainSteps} on the chain: ${per(exit.chainSentBytes)} bytes sent, ${per(exit.chainReceivedBytes)} received per chain step over peer links`;
}
