import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertCanLimitCpu,
  checkCpuCores,
  CpuCgroups,
  findCpuCgroupRoot,
  parseMountInfo,
  periodFor,
  writeCpuQuota,
  type CpuCgroupRoot,
} from '../src/cgroup.js';
import { UsageError } from '../src/errors.js';
import { ProcessGroup } from '../src/processes.js';

const HYBRID = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory standing in for a cgroup mount (the files the kernel would show at its root). */
function fakeCgroupFs(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradswarm-cgroupfs-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const mountLine = (path: string, fsType: string, superOptions: string): string =>
  `50 1 0:99 / ${path} rw,relatime - ${fsType} ${fsType} ${superOptions}`;

describe('finding the cgroup cpu controller', () => {
  it('reads both kinds of hierarchy from mountinfo', () => {
    expect(parseMountInfo(HYBRID)).toEqual({ v2: '/sys/fs/cgroup/unified', v1Cpu: '/sys/fs/cgroup/cpu' });
    expect(parseMountInfo(mountLine('/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate'))).toEqual({ v2: '/sys/fs/cgroup' });
    // cpu,cpuacct is one mount with both controllers; cpuacct alone is not cpu.
    expect(parseMountInfo(mountLine('/cg/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'))).toEqual({
      v1Cpu: '/cg/cpu,cpuacct',
    });
    expect(parseMountInfo(mountLine('/cg/acct', 'cgroup', 'rw,cpuacct'))).toEqual({});
  });

  it('prefers cgroup2 when its root offers cpu, and falls back to v1 when it does not', () => {
    const v2 = fakeCgroupFs({ 'cgroup.controllers': 'cpuset cpu io memory\n' });
    const v2NoCpu = fakeCgroupFs({ 'cgroup.controllers': 'hugetlb\n' });
    expect(findCpuCgroupRoot(mountLine(v2, 'cgroup2', 'rw'))).toEqual({ version: 'v2', path: v2 });
    expect(
      findCpuCgroupRoot(`${mountLine(v2NoCpu, 'cgroup2', 'rw')}\n${mountLine('/cg/cpu', 'cgroup', 'rw,cpu')}`),
    ).toEqual({ version: 'v1', path: '/cg/cpu' });
  });

  it('says in one line what is missing when there is no cpu controller', () => {
    const v2NoCpu = fakeCgroupFs({ 'cgroup.controllers': 'hugetlb\n' });
    expect(() => findCpuCgroupRoot(mountLine(v2NoCpu, 'cgroup2', 'rw'))).toThrow(UsageError);
    expect(() => findCpuCgroupRoot(mountLine(v2NoCpu, 'cgroup2', 'rw'))).toThrow(
      /--cpu-per-worker needs a cgroup cpu controller: cgroup2 at .* without the cpu controller.* - help:/,
    );
    expect(() => findCpuCgroupRoot('')).toThrow(/no cgroup2 mount and no v1 cpu hierarchy/);
  });

  it('refuses quotas the kernel cannot express', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.0005])
      expect(() => checkCpuCores(bad)).toThrow(/--cpu-per-worker must be a number of cores/);
    expect(() => checkCpuCores(0.2)).not.toThrow();
    // 10 ms periods, longer only where the quota would fall under the kernel's 1 ms.
    expect(periodFor(0.2)).toBe(10_000);
    expect(periodFor(0.05)).toBe(20_000);
  });
});

describe('writing quotas (a temporary directory as the cgroup fs)', () => {
  it('writes cpu.max "QUOTA PERIOD" on v2 and the two cfs files on v1', () => {
    const v2 = fakeCgroupFs({});
    writeCpuQuota(v2, 'v2', 0.2);
    expect(readFileSync(join(v2, 'cpu.max'), 'utf8')).toBe('2000 10000\n');
    writeCpuQuota(v2, 'v2', 1.5, 100_000);
    expect(readFileSync(join(v2, 'cpu.max'), 'utf8')).toBe('150000 100000\n');
    const v1 = fakeCgroupFs({});
    writeCpuQuota(v1, 'v1', 0.25);
    expect(readFileSync(join(v1, 'cpu.cfs_period_us'), 'utf8')).toBe('10000\n');
    expect(readFileSync(join(v1, 'cpu.cfs_quota_us'), 'utf8')).toBe('2500\n');
  });

  it('makes a parent and a quota per slot, hands cpu down on v2, places pids, and reports what it could not remove', () => {
    const path = fakeCgroupFs({ 'cgroup.controllers': 'cpu io\n', 'cgroup.subtree_control': '' });
    const root: CpuCgroupRoot = { version: 'v2', path };
    const groups = CpuCgroups.create(0.2, root, 'gradswarm-bench-test');
    expect(readFileSync(join(path, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu\n');
    expect(readFileSync(join(groups.path, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu\n');
    const worker = groups.slot('worker1');
    expect(worker).toBe(join(path, 'gradswarm-bench-test', 'worker1'));
    expect(readFileSync(join(worker, 'cpu.max'), 'utf8')).toBe('2000 10000\n');
    groups.place(4242, 'worker1');
    groups.place(4343, 'coordinator');
    expect(readFileSync(join(worker, 'cgroup.procs'), 'utf8')).toBe('4242\n');
    expect(readFileSync(join(groups.path, 'coordinator', 'cgroup.procs'), 'utf8')).toBe('4343\n');
    // A real cgroup fs lets rmdir remove a cgroup with its interface files; a plain directory
    // does not, so destroy() reports them instead of throwing, after moving the pids to the root.
    const left = groups.destroy();
    expect(left.sort()).toEqual([groups.path, join(groups.path, 'coordinator'), worker].sort());
    // (A plain file keeps the last write: the slots go in name order, worker1 last.)
    expect(readFileSync(join(path, 'cgroup.procs'), 'utf8')).toBe('4242\n');
    for (const slot of ['worker1', 'coordinator'])
      for (const f of ['cpu.max', 'cgroup.procs']) unlinkSync(join(groups.path, slot, f));
    unlinkSync(join(groups.path, 'cgroup.subtree_control'));
    expect(groups.destroy()).toEqual([]);
    expect(existsSync(groups.path)).toBe(false);
  });

  it('names the cgroup it could not limit', () => {
    const path = fakeCgroupFs({});
    const groups = CpuCgroups.create(0.5, { version: 'v1', path }, 'gradswarm-bench-test');
    // A file where the slot's directory would go.
    writeFileSync(join(groups.path, 'worker1'), '');
    expect(() => groups.slot('worker1')).toThrow(/cannot limit the cgroup .*worker1 to 0.5 cores/);
    unlinkSync(join(groups.path, 'worker1'));
    expect(groups.destroy()).toEqual([]);
  });
});

/** The real cgroup fs: only as root on Linux with a cpu controller. */
function realRoot(): CpuCgroupRoot | null {
  try {
    return assertCanLimitCpu();
  } catch (err) {
    console.warn(`skipping the real cgroup test: ${(err as Error).message}`);
    return null;
  }
}
const real = realRoot();

describe.skipIf(real === null)('the real cgroup fs (root)', () => {
  it('runs a child in a cgroup of its own with the quota, and removes the cgroup after it', async () => {
    const root = real!;
    const groups = CpuCgroups.create(0.2, root, `gradswarm-bench-test-${process.pid}`);
    const group = new ProcessGroup('-e');
    try {
      const dir = groups.slot('worker1');
      if (root.version === 'v2') expect(readFileSync(join(dir, 'cpu.max'), 'utf8').trim()).toBe('2000 10000');
      else {
        expect(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('2000');
        expect(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim()).toBe('10000');
      }
      // `node -e SCRIPT`: ProcessGroup runs node with its "bin" and the arguments.
      const child = group.startCli('spin', ['process.stderr.write("up\\n"); setInterval(() => {}, 1000)'], {
        place: (pid) => groups.place(pid, 'worker1'),
      });
      await child.waitFor(/up/, 20_000);
      const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      expect(procs).toContain(child.child.pid);
      // The child's own view of its cgroup names the slot.
      const own = readFileSync(`/proc/${child.child.pid}/cgroup`, 'utf8');
      expect(own).toContain(`/gradswarm-bench-test-${process.pid}/worker1`);
      group.killAll();
      await child.exited;
    } finally {
      group.killAll();
      expect(groups.destroy()).toEqual([]);
    }
    expect(existsSync(groups.path)).toBe(false);
  });
});
