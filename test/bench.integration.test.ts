/**
 * `gradswarm bench scale` end to end: real coordinator, worker and train processes on a small
 * model. Asserts the document's structure and arithmetic, never its timings.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectUsageError, lastJsonLine, makeTempDir, removeTempDir, runCli } from './helpers/cli.js';

interface Row {
  workers: number;
  threads: number;
  samplesPerSecond: number;
  speedup: number;
  efficiency: number;
  stepMs: {
    totalMs: number;
    computeMaxMs: number;
    computeMeanMs: number;
    reduceUpdateMs: number;
    communicationMs: number;
  };
  bytesPerStep: { sent: number; received: number };
  singleNodeSamplesPerSecond?: number;
}
interface Doc {
  benchmark: string;
  network: string;
  link: string;
  batchSize: number;
  threadsPerWorker: number;
  results: Row[];
  singleNode?: { threads: number; samplesPerSecond: number };
  projection?: Array<{ workers: number; linkGbit: number; samplesPerSecond: number; efficiency: number }>;
  synthetic?: Array<{
    clients: number;
    parameters: number;
    stepsPerSecond: number;
    megabytesPerSecond: number;
    bytesPerStep: { sent: number; received: number };
  }>;
  fit?: { checks: Array<{ relativeError: number }> };
  model: { layers: number[]; parameters: number };
}

const SMALL = ['--layers', '32', '--batch-size', '200'];
const IS_ROOT = process.getuid?.() === 0;
const HAS_IP = (() => {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const NETEM_SKIP_REASON = !IS_ROOT
  ? 'not running as root (--netem needs network namespaces and tc)'
  : !HAS_IP
    ? 'iproute2 (ip, tc) is not installed'
    : '';
if (NETEM_SKIP_REASON) console.warn(`skipping the bench --netem test: ${NETEM_SKIP_REASON}`);

/** The bench's cgroups (gradswarm-bench-PID) under every cgroup hierarchy of /proc/self/mountinfo. */
const benchCgroups = (): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4])
    .flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((n) => n.startsWith('gradswarm-bench-'))
          .map((n) => join(dir, n));
      } catch {
        return [];
      }
    });
const namespaces = (): string[] =>
  HAS_IP
    ? execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter((n) => /^gsw/.test(n))
    : [];

function expectConsistentRows(doc: Doc): void {
  const [one] = doc.results;
  expect(one.workers).toBe(1);
  expect(one.speedup).toBe(1);
  for (const r of doc.results) {
    const s = r.stepMs;
    expect(s.computeMaxMs + s.reduceUpdateMs + s.communicationMs).toBeCloseTo(s.totalMs, 6);
    expect(s.computeMaxMs).toBeGreaterThan(0);
    expect(s.computeMeanMs).toBeLessThanOrEqual(s.computeMaxMs);
    expect(r.efficiency).toBeCloseTo(r.speedup / r.workers, 12);
    expect(r.speedup).toBeCloseTo(r.samplesPerSecond / one.samplesPerSecond, 12);
    // The chain (the default topology): the coordinator sends the weights once and gets the total
    // once, 4 bytes a parameter each way whatever W (plus control messages, a few hundred bytes a worker).
    expect(r.bytesPerStep.sent).toBeGreaterThanOrEqual(4 * doc.model.parameters);
    expect(r.bytesPerStep.received).toBeGreaterThanOrEqual(4 * doc.model.parameters);
    expect(r.bytesPerStep.sent).toBeLessThan(4 * doc.model.parameters * 1.05 + 2000 * r.workers);
  }
}

describe('gradswarm bench scale', () => {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeTempDir(dir);
  });

  it('measures 1 and 2 worker processes, train on one node, and the model; prints one JSON line', async () => {
    const out = join(dir!, 'scale.json');
    const report = join(dir!, 'scale.html');
    const r = await runCli([
      'bench',
      'scale',
      '--workers',
      '1,2',
      '--threads',
      '1',
      ...SMALL,
      '--steps',
      '8',
      '--warmup',
      '2',
      '--json',
      '--out',
      out,
      '--report',
      report,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = lastJsonLine<Doc>(r.stdout);
    expect(doc).toMatchObject({
      benchmark: 'scale',
      network: '784-32-10',
      batchSize: 200,
      threadsPerWorker: 1,
      model: { layers: [784, 32, 10], parameters: 25450 },
    });
    expect(doc.link).toMatch(/loopback/);
    expect(doc.results.map((x) => [x.workers, x.threads])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expectConsistentRows(doc);
    expect(doc.singleNode?.threads).toBe(2);
    expect(doc.results[1].singleNodeSamplesPerSecond).toBe(doc.singleNode?.samplesPerSecond);
    expect(doc.projection?.map((p) => `${p.workers}@${p.linkGbit}`)).toEqual(
      [1, 10].flatMap((g) => [8, 16, 32, 64, 128, 256].map((w) => `${w}@${g}`)),
    );
    expect(doc.fit?.checks).toHaveLength(2);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(doc);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('prints readable tables by default, the projection labelled as one', async () => {
    const r = await runCli([
      'bench',
      'scale',
      '--workers',
      '1',
      ...SMALL,
      '--steps',
      '3',
      '--warmup',
      '1',
      '--no-single-node',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| workers \| threads \| samples\/s \| speedup \| efficiency \|/m);
    expect(r.stdout).toMatch(/PROJECTION, not a measurement/);
  });

  it('checks the structural chain model against chain rows from inputs it measured itself', async () => {
    const r = await runCli([
      'bench',
      'scale',
      '--workers',
      '1,2',
      '--topology',
      'chain',
      ...SMALL,
      '--steps',
      '3',
      '--warmup',
      '1',
      '--no-single-node',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = lastJsonLine<{
      chainStructure: {
        inputs: { hopCpuMs: number; profile: { samples: number; forwardBlocksMs: number[] }; linkGbit?: number };
        checks: { workers: number; measuredStepMs: number; predictedStepMs: number; relativeError: number }[];
        hopFittedOnTwo: { checks: { workers: number }[] };
        projectionPerWorkerBatch: { workers: number }[];
      };
    }>(r.stdout);
    const c = doc.chainStructure;
    expect(r.stderr).toMatch(/chain model inputs: compute [\d.]+ ms for 200 samples on one core; a hop's CPU \d+ µs/);
    expect(c.inputs.hopCpuMs).toBeGreaterThan(0);
    expect(c.inputs.profile.samples).toBe(200);
    expect(c.inputs.linkGbit).toBeUndefined(); // loopback
    expect(c.checks.map((k) => k.workers)).toEqual([1, 2]);
    for (const k of c.checks) {
      expect(k.predictedStepMs).toBeGreaterThan(0);
      expect(k.relativeError).toBeCloseTo((k.predictedStepMs - k.measuredStepMs) / k.measuredStepMs, 9);
    }
    expect(c.hopFittedOnTwo.checks.map((k) => k.workers)).toEqual([1, 2]);
    expect(c.projectionPerWorkerBatch[0].workers).toBe(16);
  });

  it('runs synthetic clients the coordinator logs as ordinary workers joining, and completes their steps', async () => {
    const logs = join(dir!, 'logs');
    const r = await runCli([
      'bench',
      'scale',
      '--workers',
      '0',
      '--synthetic',
      '4',
      '--synthetic-layers',
      '32',
      '--batch-size',
      '200',
      '--synthetic-steps',
      '5',
      '--warmup',
      '1',
      '--json',
      '--keep-logs',
      logs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = lastJsonLine<Doc>(r.stdout);
    expect(doc.results).toEqual([]);
    expect(doc.synthetic).toHaveLength(1);
    const [s] = doc.synthetic!;
    expect(s).toMatchObject({ clients: 4, parameters: 25450 });
    expect(s.stepsPerSecond).toBeGreaterThan(0);
    expect(s.bytesPerStep.received).toBeGreaterThanOrEqual(4 * 4 * 25450);
    expect(s.megabytesPerSecond).toBeCloseTo(
      ((s.bytesPerStep.sent + s.bytesPerStep.received) * s.stepsPerSecond) / 1e6,
      6,
    );
    const coordinatorLog = readFileSync(
      join(logs, readdirSync(logs).find((f) => /coordinator\.log$/.test(f))!),
      'utf8',
    );
    const joined = coordinatorLog.match(
      /^worker \d+ \(synthetic, 1 thread, [^)]+\) joined; takes shards from step 1; \d ready$/gm,
    );
    expect(joined).toHaveLength(4);
    expect(coordinatorLog).not.toMatch(/refused|dropped|was lost/);
    expect(coordinatorLog).toMatch(/"steps":6/);
    expect(coordinatorLog).not.toMatch(/--token [A-Za-z0-9_-]{20,}/);
  });

  it.skipIf(NETEM_SKIP_REASON !== '')(
    'shapes every link in its own network namespace with --netem, and removes them all',
    async () => {
      expect(namespaces(), 'gsw* namespaces exist before the test').toEqual([]);
      const logs = join(dir!, 'logs');
      const r = await runCli([
        'bench',
        'scale',
        '--workers',
        '1,2',
        ...SMALL,
        '--steps',
        '6',
        '--warmup',
        '2',
        '--no-single-node',
        '--netem',
        'rate=1gbit',
        '--json',
        '--keep-logs',
        logs,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = lastJsonLine<Doc>(r.stdout);
      expect(doc.link).toMatch(/network namespaces.*(netem|tbf) rate 1gbit/);
      expectConsistentRows(doc);
      const worker = readFileSync(join(logs, 'w2-r1-worker2.log'), 'utf8');
      expect(worker).toMatch(/^\$ ip netns exec gsw2 /);
      expect(worker).toMatch(/joining ws:\/\/10\.77\.0\.2:\d+/);
      expect(namespaces()).toEqual([]);
    },
  );

  it.skipIf(NETEM_SKIP_REASON !== '')(
    'emulates a cluster: a cgroup quota per process with shaped links, strong and weak rows, undilated figures, no cgroup left',
    async () => {
      const cgroupsBefore = benchCgroups();
      const r = await runCli([
        'bench',
        'scale',
        '--workers',
        '1,2',
        ...SMALL,
        '--per-worker-batch',
        '50',
        '--steps',
        '4',
        '--warmup',
        '2',
        '--cpu-per-worker',
        '0.5',
        '--netem',
        'rate=100mbit',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = lastJsonLine<
        Omit<Doc, 'results'> & {
          dilation: number;
          cpuPerWorker: number;
          results: (Row & {
            series: string;
            samplesPerStep: number;
            undilated: { stepMs: { totalMs: number } };
            efficiencyVsTrain: number;
          })[];
          chainFit: { parameters: { notes: string[] } };
          chainProjectionPerWorkerBatch: { workers: number; batchSize: number }[];
        }
      >(r.stdout);
      expect(r.stderr).toMatch(/0\.5 cores per process \(cgroup v[12] /);
      expect(doc.cpuPerWorker).toBe(0.5);
      expect(doc.dilation).toBe(2);
      expect(doc.results.map((x) => [x.series, x.workers, x.samplesPerStep])).toEqual([
        ['strong', 1, 200],
        ['strong', 2, 200],
        ['weak', 1, 50],
        ['weak', 2, 100],
      ]);
      for (const x of doc.results) {
        expect(x.undilated.stepMs.totalMs).toBeCloseTo(x.stepMs.totalMs / 2, 2);
        expect(x.efficiencyVsTrain).toBeGreaterThan(0);
      }
      // No --topology given: no chain rows, so the chain model says it is not fitted.
      expect(doc.chainFit.parameters.notes.join(' ')).toMatch(/not fitted/);
      expect(doc.chainProjectionPerWorkerBatch[0]).toMatchObject({ workers: 16, batchSize: 800 });
      expect(namespaces()).toEqual([]);
      expect(benchCgroups()).toEqual(cgroupsBefore);
    },
  );

  it('refuses bad flags with one line and exit 2', async () => {
    expectUsageError(await runCli(['bench', 'scale', '--workers', '2,4']), /--workers must include 1/);
    expectUsageError(
      await runCli(['bench', 'scale', '--scaling', 'weak']),
      /--scaling weak needs --per-worker-batch B/,
    );
    expectUsageError(
      await runCli(['bench', 'scale', '--cpu-per-worker', '0']),
      /--cpu-per-worker must be a number of cores/,
    );
    expectUsageError(
      await runCli(['bench', 'scale', '--netem', 'rate=fast']),
      /--netem rate must be a positive number with a unit/,
    );
    expectUsageError(await runCli(['bench', 'scale', '--warmup', '0']), /--warmup must be an integer ≥ 1/);
    expectUsageError(await runCli(['bench', 'scale', '--replicas', '4']), /--replicas is for local SGD/);
    expectUsageError(
      await runCli(['bench', 'scale', '--workers', '1,8', '--sync-every', '16', '--replicas', '4']),
      /--replicas 4 is fewer than the most --workers \(8\)/,
    );
    expectUsageError(
      await runCli(['bench', 'scale', '--synthetic', '500', '--batch-size', '100']),
      /--synthetic must be at most 100 clients/,
    );
    expectUsageError(await runCli(['bench']), /name a benchmark: scale/);
    expectUsageError(await runCli(['bench', 'scale', '--layers', 'abc']), /--layers must be a comma-separated list/);
    // Found by the coordinator child, passed on as the bench's own one-line usage error.
    expectUsageError(
      await runCli([
        'bench',
        'scale',
        '--workers',
        '1',
        '--dataset',
        `csv:${join(dir!, 'missing.csv')}`,
        '--steps',
        '2',
        '--warmup',
        '1',
      ]),
      /cannot read data file .*missing\.csv/,
    );
  });
});
