/**
 * `gradswarm coordinator`: `train` plus a network port. Workers join over WebSocket (HMAC
 * challenge–response with a shared token); the coordinator prints the exact command to join,
 * waits for --min-workers, trains, and serves GET /status on the same port.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_RUN_OPTIONS } from '@gradswarm/coordinator';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { certificateFingerprint } from '@gradswarm/coordinator';
import { generateToken, normalizeFingerprint, weakTokenReason } from '@gradswarm/protocol';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import { UsageError } from '../errors.js';
import { listenUrls } from '../listen-addresses.js';
import { dashboardFlags } from '../observability.js';
import { runTraining, type TrainingArgs } from '../run-training.js';
import { trainFlags } from './train.js';

interface CoordinatorArgs extends TrainingArgs {
  host: string;
  port: number;
  token?: string;
  dashboardToken?: string;
  minWorkers: number;
  stepTimeout: number;
  heartbeatInterval: number;
  topology: 'chain' | 'star';
  wirePrecision: 'f32' | 'bf16';
  tlsCert?: string;
  tlsKey?: string;
  handshakeTimeout: number;
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
}

/** Default port of `gradswarm coordinator`. */
export const DEFAULT_PORT = 7733;

export const networkFlags = {
  host: {
    type: 'string',
    default: DEFAULT_RUN_OPTIONS.network.host,
    describe: 'address to listen on; 0.0.0.0 accepts other machines',
    group: 'Network:',
  },
  port: {
    type: 'number',
    default: DEFAULT_PORT,
    describe: 'port for workers and GET /status (0: any free port)',
    group: 'Network:',
  },
  token: {
    type: 'string',
    describe: 'shared secret workers must prove they know [generated, printed with the join command]',
    group: 'Network:',
  },
  'min-workers': {
    type: 'number',
    default: 1,
    describe: 'remote workers to wait for before the first step',
    group: 'Network:',
  },
  'step-timeout': {
    type: 'number',
    default: DEFAULT_RUN_OPTIONS.network.stepTimeoutMs,
    describe: 'ms a worker has for a step before its shards go to others',
    group: 'Network:',
  },
  'heartbeat-interval': {
    type: 'number',
    default: DEFAULT_RUN_OPTIONS.network.heartbeatIntervalMs,
    describe: 'ms between heartbeats; 3 missed drop the worker',
    group: 'Network:',
  },
  topology: {
    choices: ['chain', 'star'] as const,
    default: 'chain' as const,
    describe:
      'chain: gradients summed along the workers that listen for peers, ~2·4P bytes per worker per step; star: every gradient to the coordinator',
    group: 'Network:',
  },
  'wire-precision': {
    choices: ['f32', 'bf16'] as const,
    default: 'f32' as const,
    describe:
      'bf16: weights (and, without --reproducible, gradients) travel as bfloat16, half the bytes; master weights and optimizer stay float32; the star serves every worker',
    group: 'Network:',
  },
  'tls-cert': { type: 'string', describe: 'PEM certificate: serve wss:// (with --tls-key)', group: 'Network:' },
  'tls-key': { type: 'string', describe: 'PEM private key of --tls-cert', group: 'Network:' },
  'handshake-timeout': {
    type: 'number',
    default: DEFAULT_CONNECTION_LIMITS.handshakeTimeoutMs,
    describe: 'ms a new connection has to authenticate before it is closed',
    group: 'Network:',
  },
  'max-unauthenticated': {
    type: 'number',
    describe: `connections not yet authenticated at once; more are refused (HTTP 503) [${DEFAULT_CONNECTION_LIMITS.maxUnauthenticated}, fewer under a low open-file limit]`,
    group: 'Network:',
  },
  'max-unauthenticated-per-address': {
    type: 'number',
    describe: `of those, from one IPv4 address or IPv6 /64 [${DEFAULT_CONNECTION_LIMITS.maxUnauthenticatedPerAddress}]`,
    group: 'Network:',
  },
} as const;

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GradswarmError(
      ErrorCode.DATA_IO,
      `cannot read --${flag} ${path}: ${fsReason(err)} - help: give a PEM file this user can read`,
      { cause: err },
    );
  }
}

async function run(args: CoordinatorArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
    throw new UsageError(`--port must be an integer in [0, 65535], got ${args.port}`);
  if (!Number.isInteger(args.minWorkers) || args.minWorkers < 0)
    throw new UsageError(`--min-workers must be a non-negative integer, got ${args.minWorkers}`);
  for (const [flag, v] of [
    ['step-timeout', args.stepTimeout],
    ['heartbeat-interval', args.heartbeatInterval],
  ] as const) {
    if (!Number.isInteger(v) || v < 10)
      throw new UsageError(`--${flag} must be an integer number of milliseconds >= 10, got ${v}`);
  }
  if (!Number.isInteger(args.handshakeTimeout) || args.handshakeTimeout < 100)
    throw new UsageError(
      `--handshake-timeout must be an integer number of milliseconds >= 100, got ${args.handshakeTimeout}`,
    );
  for (const [flag, v] of [
    ['max-unauthenticated', args.maxUnauthenticated],
    ['max-unauthenticated-per-address', args.maxUnauthenticatedPerAddress],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new UsageError(`--${flag} must be a positive integer, got ${v}`);
  }
  if ((args.tlsCert === undefined) !== (args.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together - help: give both PEM files');
  const weak = args.token === undefined ? undefined : weakTokenReason(args.token, '--token');
  if (weak !== undefined) throw new UsageError(weak);
  const weakDashboard =
    args.dashboardToken === undefined ? undefined : weakTokenReason(args.dashboardToken, '--dashboard-token');
  if (weakDashboard !== undefined) throw new UsageError(weakDashboard);
  if (args.threads === 0 && args.minWorkers === 0)
    throw new UsageError(
      '--local-threads 0 with --min-workers 0 would have nobody to compute - help: set --min-workers 1 or more',
    );
  const token = args.token ?? generateToken();
  const tls =
    args.tlsCert && args.tlsKey
      ? {
          cert: readPem('tls-cert', args.tlsCert),
          key: readPem('tls-key', args.tlsKey),
          certName: `--tls-cert ${args.tlsCert}`,
          keyName: `--tls-key ${args.tlsKey}`,
        }
      : undefined;
  const limits = {
    handshakeTimeoutMs: args.handshakeTimeout,
    maxUnauthenticated: args.maxUnauthenticated,
    maxUnauthenticatedPerAddress: args.maxUnauthenticatedPerAddress,
  };
  return runTraining(args, 'coordinator', availableParallelism(), {
    network: {
      host: args.host,
      port: args.port,
      token,
      stepTimeoutMs: args.stepTimeout,
      heartbeatIntervalMs: args.heartbeatInterval,
      topology: args.topology,
      wirePrecision: args.wirePrecision,
      tls,
      ...limits,
    },
    minWorkers: args.minWorkers,
    dashboardTokens: args.dashboardToken === undefined ? [token] : [token, args.dashboardToken],
    announce: (listening) => {
      // The fingerprint lets a worker pin this very certificate (--tls-fingerprint), CA or not.
      const ca = tls ? ` --tls-ca ${args.tlsCert} --tls-fingerprint ${certificateFingerprint(tls.cert)}` : '';
      // On 0.0.0.0 or :: the machine's own addresses stand in for the wildcard, the likeliest first.
      const [url, ...others] = listenUrls(listening, args.host);
      const also = others.length > 0 ? `; also ${others.join(', ')}` : '';
      const pin = tls ? `&tls-fingerprint=${normalizeFingerprint(certificateFingerprint(tls.cert))}` : '';
      const tabs =
        args.reproducible !== undefined && args.kernel !== 'wasm'
          ? ' (a --reproducible run takes tabs only with --kernel wasm)'
          : '';
      process.stderr.write(
        `coordinator listening on ${url} (GET ${url.replace(/^ws/, 'http')}/status)${also}\ndashboard: ${url.replace(/^ws/, 'http')}/#token=${args.dashboardToken ?? token} (GET /metrics with "Authorization: Bearer <token>")\njoin with: gradswarm worker --connect ${url} --token ${token}${ca}\njoin from a browser: ${url.replace(/^ws/, 'http')}/join#token=${token}${pin}${tabs}\n`,
      );
    },
  });
}

/** Every flag of `coordinator` (--config checks its keys against these). */
export const coordinatorFlags = {
  ...trainFlags,
  balance: { ...trainFlags.balance, default: 'throughput' },
  ...networkFlags,
  'local-threads': { alias: 'threads' },
} as const;

export function coordinatorCommand(setExitCode: (code: number) => void): CommandModule<object, CoordinatorArgs> {
  return {
    command: 'coordinator',
    describe: 'train with remote workers joining over WebSocket (and this machine’s threads)',
    builder: (y: Argv) =>
      examples(
        y
          // Machines differ (threads, CPUs), so shards follow measured throughput by default here.
          .options({
            ...trainFlags,
            balance: coordinatorFlags.balance,
            ...networkFlags,
            ...dashboardFlags,
          })
          .alias('local-threads', 'threads'),
        [
          [
            '$0 coordinator --host 0.0.0.0 --min-workers 2 --local-threads 0',
            'wait for two machines, compute nothing locally',
          ],
          [
            '$0 coordinator --reproducible 8 --checkpoint ckpt --checkpoint-every 100',
            'bit-reproducible, resumable run',
          ],
        ],
      ) as unknown as Argv<CoordinatorArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
