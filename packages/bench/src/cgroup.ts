/**
 * CPU quotas like small machines (`bench scale --cpu-per-worker F`): every worker process, the
 * coordinator and the single-node `train` run in a cgroup of their own limited to F cores, so a
 * 2-core box can emulate several one-core machines slowed down 1/F times (DESIGN §8).
 *
 *   v2 (cgroup2 with the cpu controller): cpu.max = "QUOTA PERIOD"
 *   v1 (a cgroup hierarchy with cpu):     cpu.cfs_period_us = PERIOD, cpu.cfs_quota_us = QUOTA
 *
 * with QUOTA = F · PERIOD µs of CPU per PERIOD µs of wall time (PERIOD: periodFor(F)). The bench makes one parent
 * cgroup, gradswarm-bench-<pid>, directly under the mount point (on v2 the root is the one cgroup
 * allowed both processes and controllers for its children), and a child per slot under it.
 * `destroy()` is synchronous, like the namespaces' teardown, so exit and signal handlers run it;
 * a cgroup is removed with rmdir once its processes are gone (the interface files go with it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError, UsageError } from './errors.js';

export type CgroupVersion = 'v2' | 'v1';

/** Where sub-cgroups with a CPU quota can be made. */
export interface CpuCgroupRoot {
  readonly version: CgroupVersion;
  /** The mount point of the hierarchy that has the cpu controller. */
  readonly path: string;
}

/**
 * CFS period: 10 ms, not the kernel's default 100 ms. Within a period a process runs at full
 * speed until its quota is spent, so a step much shorter than the period is not slowed at all
 * (measured: 0.3 cores left a 1.4 ms step as fast as without a quota); a short period spreads
 * the quota over the step as a slower core would.
 */
export const CPU_PERIOD_US = 10_000;
/** The kernel refuses quotas below 1 ms and periods above 1 s. */
const MIN_QUOTA_US = 1000;
const MAX_PERIOD_US = 1_000_000;

/** The period for F cores: CPU_PERIOD_US, longer where F of it would be under the kernel's 1 ms. */
export function periodFor(cores: number): number {
  return Math.max(CPU_PERIOD_US, Math.ceil(MIN_QUOTA_US / cores));
}

const HELP = ' - help: run as root on Linux with the cgroup cpu controller mounted, or drop --cpu-per-worker';

/**
 * The cgroup hierarchies of a /proc/self/mountinfo: the cgroup2 mount point and the v1 mount
 * point whose super options include the cpu controller.
 */
export function parseMountInfo(text: string): { v2?: string; v1Cpu?: string } {
  const found: { v2?: string; v1Cpu?: string } = {};
  for (const line of text.split('\n')) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
    const [left, right] = line.split(' - ');
    if (right === undefined) continue;
    const mountPoint = left.split(' ')[4]?.replace(/\\040/g, ' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    if (mountPoint === undefined) continue;
    if (fsType === 'cgroup2' && found.v2 === undefined) found.v2 = mountPoint;
    if (fsType === 'cgroup' && superOptions.split(',').includes('cpu') && found.v1Cpu === undefined)
      found.v1Cpu = mountPoint;
  }
  return found;
}

/**
 * The hierarchy to use: cgroup2 when its root offers the cpu controller, else the v1 cpu
 * hierarchy (hybrid systems mount cgroup2 without cpu next to a v1 cpu hierarchy).
 * @throws UsageError when neither is there
 */
export function findCpuCgroupRoot(mountInfo: string = readMountInfo()): CpuCgroupRoot {
  const { v2, v1Cpu } = parseMountInfo(mountInfo);
  if (v2 !== undefined && readWords(join(v2, 'cgroup.controllers')).includes('cpu')) return { version: 'v2', path: v2 };
  if (v1Cpu !== undefined) return { version: 'v1', path: v1Cpu };
  const seen = v2 === undefined ? 'no cgroup2 mount' : `cgroup2 at ${v2} without the cpu controller`;
  throw new UsageError(`--cpu-per-worker needs a cgroup cpu controller: ${seen} and no v1 cpu hierarchy${HELP}`);
}

/** Refuses --cpu-per-worker before anything starts: not root, or no cpu controller. @throws UsageError */
export function assertCanLimitCpu(): CpuCgroupRoot {
  if (process.platform !== 'linux') throw new UsageError(`--cpu-per-worker needs Linux cgroups${HELP}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new UsageError(`--cpu-per-worker needs root (it creates cgroups)${HELP}`);
  return findCpuCgroupRoot();
}

/** Checks F: a positive number of cores that the kernel can express. @throws UsageError */
export function checkCpuCores(cores: number): void {
  if (!(cores > 0) || !Number.isFinite(cores) || periodFor(cores) > MAX_PERIOD_US)
    throw new UsageError(
      `--cpu-per-worker must be a number of cores ≥ ${MIN_QUOTA_US / MAX_PERIOD_US}, got ${cores} - help: e.g. --cpu-per-worker 0.2`,
    );
}

/**
 * Writes a quota of `cores` into the cgroup directory `dir` (which exists), as the version wants.
 * Exported for the test that runs it against a temporary directory.
 */
export function writeCpuQuota(dir: string, version: CgroupVersion, cores: number, periodUs = periodFor(cores)): void {
  const quotaUs = Math.round(cores * periodUs);
  if (version === 'v2') {
    writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${periodUs}\n`);
  } else {
    // Period first: a quota is checked against the current period.
    writeFileSync(join(dir, 'cpu.cfs_period_us'), `${periodUs}\n`);
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), `${quotaUs}\n`);
  }
}

/** The sub-cgroups of one benchmark, each limited to the same number of cores. */
export class CpuCgroups {
  private readonly slots = new Map<string, string>();

  private constructor(
    readonly root: CpuCgroupRoot,
    /** The bench's parent cgroup. */
    readonly path: string,
    readonly cores: number,
  ) {}

  /**
   * Makes the parent cgroup (and on v2 hands the cpu controller down to it).
   * @throws BenchError when the cgroup fs refuses
   */
  static create(cores: number, root: CpuCgroupRoot, name = `gradswarm-bench-${process.pid}`): CpuCgroups {
    checkCpuCores(cores);
    const path = join(root.path, name);
    const groups = new CpuCgroups(root, path, cores);
    try {
      if (root.version === 'v2') enableCpu(root.path);
      mkdirSync(path);
      if (root.version === 'v2') enableCpu(path);
    } catch (err) {
      groups.destroy();
      throw new BenchError(`cannot create the cgroup ${path}: ${(err as Error).message}${HELP}`, { cause: err });
    }
    return groups;
  }

  /** The cgroup of `slot` ("coordinator", "worker3", …), made with its quota on first use. */
  slot(slot: string): string {
    const known = this.slots.get(slot);
    if (known !== undefined) return known;
    const dir = join(this.path, slot);
    try {
      if (!existsSync(dir)) mkdirSync(dir);
      writeCpuQuota(dir, this.root.version, this.cores);
    } catch (err) {
      throw new BenchError(`cannot limit the cgroup ${dir} to ${this.cores} cores: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.slots.set(slot, dir);
    return dir;
  }

  /** Moves process `pid` (all its threads) into `slot`'s cgroup. @throws BenchError */
  place(pid: number, slot: string): void {
    const dir = this.slot(slot);
    try {
      writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
    } catch (err) {
      throw new BenchError(`cannot move process ${pid} into the cgroup ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  describe(): string {
    return `${this.cores} core${this.cores === 1 ? '' : 's'} per process (cgroup ${this.root.version} ${this.root.version === 'v2' ? 'cpu.max' : 'cpu.cfs_quota_us'} under ${this.path})`;
  }

  /**
   * Removes every sub-cgroup and the parent. Processes still inside (the bench kills its
   * children first, but an exiting process lingers a moment) are moved back to the root;
   * rmdir is retried for up to a second while they go.
   * @returns the directories that could not be removed (already logged by the caller)
   */
  destroy(): string[] {
    const left: string[] = [];
    const children = existsSync(this.path)
      ? readdirSync(this.path, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(this.path, e.name))
          .sort()
      : [];
    for (const dir of [...children, this.path]) {
      if (!existsSync(dir)) continue;
      for (const pid of readWords(join(dir, 'cgroup.procs'))) {
        try {
          writeFileSync(join(this.root.path, 'cgroup.procs'), `${pid}\n`);
        } catch {
          // Gone already, or a zombie that cannot move: rmdir waits for it below.
        }
      }
      if (!removeWithRetry(dir)) left.push(dir);
    }
    this.slots.clear();
    return left;
  }
}

function enableCpu(dir: string): void {
  const control = join(dir, 'cgroup.subtree_control');
  if (!readWords(control).includes('cpu')) writeFileSync(control, '+cpu\n');
}

function removeWithRetry(dir: string): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      // Synchronous on purpose (exit handlers); 20 ms × 50 at most.
      Atomics.wait(pause, 0, 0, 20);
    }
  }
  return false;
}

function readMountInfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}
