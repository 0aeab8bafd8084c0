/**
 * Who this process is in a job, read from the environment its launcher set, in this order:
 *   torchrun   RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (all four, once RANK or WORLD_SIZE is set)
 *   Slurm      SLURM_PROCID, SLURM_NTASKS, SLURM_STEP_NODELIST or else SLURM_JOB_NODELIST (its first host)
 *   Kubernetes JOB_COMPLETION_INDEX (an Indexed Job), WORLD_SIZE, and the headless Service that
 *              names rank 0's pod (--service or GRADSWARM_SERVICE)
 * The port is --port when given, else MASTER_PORT when set, else DEFAULT_LAUNCH_PORT: every rank
 * must compute the same one, so it never depends on anything local.
 */
import { UsageError } from '../errors.js';
import { expandHostlist } from './launch-hostlist.js';

/** The variables `launch` reads, by source (the manifest test checks the Kubernetes example sets these). */
export const LAUNCH_VARIABLES = {
  torchrun: ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'],
  slurm: ['SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_STEP_NODELIST', 'SLURM_JOB_NODELIST'],
  kubernetes: ['JOB_COMPLETION_INDEX', 'WORLD_SIZE', 'GRADSWARM_SERVICE'],
  token: ['GRADSWARM_TOKEN'],
} as const;

/** The port when neither --port nor MASTER_PORT says one (the coordinator's default). */
export const DEFAULT_LAUNCH_PORT = 7733;

export type LaunchSource = 'torchrun' | 'slurm' | 'kubernetes';

export interface LaunchIdentity {
  readonly source: LaunchSource;
  /** 0 is the coordinator. */
  readonly rank: number;
  readonly worldSize: number;
  /** Where every rank finds rank 0. */
  readonly rendezvousHost: string;
  readonly port: number;
}

export interface LaunchFlags {
  /** --port */
  readonly port?: number;
  /** --service: the headless Service whose DNS name is rank 0's pod. */
  readonly service?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function count(env: Env, name: string, min: number): number {
  const text = env[name]!.trim();
  const v = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(v) && v >= min))
    throw new UsageError(`${name} must be an integer >= ${min}, got "${env[name]}"`);
  return v;
}

function port(value: number | string, what: string): number {
  const v = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(Number.isInteger(v) && v >= 1 && v <= 65535))
    throw new UsageError(
      `${what} must be a port in [1, 65535], got "${value}" - help: every rank must use the same one`,
    );
  return v;
}

function rankBelow(rank: number, worldSize: number, rankName: string, sizeName: string): void {
  if (rank >= worldSize)
    throw new UsageError(
      `${rankName}=${rank} is not below ${sizeName}=${worldSize} - help: ranks run 0 to ${sizeName}-1`,
    );
}

const present = (env: Env, name: string): boolean => (env[name] ?? '').trim() !== '';

function torchrun(env: Env, flags: LaunchFlags): LaunchIdentity {
  const missing = LAUNCH_VARIABLES.torchrun.filter((n) => !present(env, n) && !(n === 'MASTER_PORT' && flags.port));
  if (missing.length > 0)
    throw new UsageError(
      `torchrun-style launch needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set - help: set all four on every process (torchrun does)`,
    );
  const rank = count(env, 'RANK', 0);
  const worldSize = count(env, 'WORLD_SIZE', 1);
  rankBelow(rank, worldSize, 'RANK', 'WORLD_SIZE');
  return {
    source: 'torchrun',
    rank,
    worldSize,
    rendezvousHost: env.MASTER_ADDR!.trim(),
    port: flags.port !== undefined ? port(flags.port, '--port') : port(env.MASTER_PORT!, 'MASTER_PORT'),
  };
}

function slurm(env: Env, flags: LaunchFlags): LaunchIdentity {
  if (!present(env, 'SLURM_NTASKS'))
    throw new UsageError(
      'SLURM_PROCID is set but SLURM_NTASKS is not - help: start the ranks with srun --ntasks N (or sbatch --ntasks N)',
    );
  const listName = present(env, 'SLURM_STEP_NODELIST') ? 'SLURM_STEP_NODELIST' : 'SLURM_JOB_NODELIST';
  if (!present(env, listName))
    throw new UsageError('neither SLURM_STEP_NODELIST nor SLURM_JOB_NODELIST is set - help: start the ranks with srun');
  const rank = count(env, 'SLURM_PROCID', 0);
  const worldSize = count(env, 'SLURM_NTASKS', 1);
  rankBelow(rank, worldSize, 'SLURM_PROCID', 'SLURM_NTASKS');
  // srun places task 0 on the step's first node.
  const [first] = expandHostlist(env[listName]!, listName);
  return { source: 'slurm', rank, worldSize, rendezvousHost: first, port: commonPort(env, flags) };
}

function kubernetes(env: Env, flags: LaunchFlags): LaunchIdentity {
  const service = flags.service ?? env.GRADSWARM_SERVICE;
  if (service === undefined || service.trim() === '')
    throw new UsageError(
      'JOB_COMPLETION_INDEX is set but not the headless Service of rank 0 - help: pass --service NAME or set GRADSWARM_SERVICE (see examples/kubernetes/)',
    );
  if (!present(env, 'WORLD_SIZE'))
    throw new UsageError(
      'JOB_COMPLETION_INDEX is set but WORLD_SIZE is not - help: set WORLD_SIZE to the Job’s completions in the pod template',
    );
  const rank = count(env, 'JOB_COMPLETION_INDEX', 0);
  const worldSize = count(env, 'WORLD_SIZE', 1);
  rankBelow(rank, worldSize, 'JOB_COMPLETION_INDEX', 'WORLD_SIZE');
  return { source: 'kubernetes', rank, worldSize, rendezvousHost: service.trim(), port: commonPort(env, flags) };
}

function commonPort(env: Env, flags: LaunchFlags): number {
  if (flags.port !== undefined) return port(flags.port, '--port');
  if (present(env, 'MASTER_PORT')) return port(env.MASTER_PORT!, 'MASTER_PORT');
  return DEFAULT_LAUNCH_PORT;
}

/**
 * This process's rank, the world size and where rank 0 listens.
 * @throws UsageError naming the variable that is missing or wrong, or saying that no launcher set any
 */
export function resolveLaunchIdentity(env: Env, flags: LaunchFlags = {}): LaunchIdentity {
  if (present(env, 'RANK') || (present(env, 'WORLD_SIZE') && !present(env, 'JOB_COMPLETION_INDEX')))
    return torchrun(env, flags);
  if (present(env, 'SLURM_PROCID')) return slurm(env, flags);
  if (present(env, 'JOB_COMPLETION_INDEX')) return kubernetes(env, flags);
  throw new UsageError(
    'launch found no rank in the environment - help: run it under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), srun, or a Kubernetes Indexed Job; or use gradswarm coordinator / worker',
  );
}
