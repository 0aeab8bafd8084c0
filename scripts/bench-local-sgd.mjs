#!/usr/bin/env node
// Local SGD / DiLoCo on Fashion-MNIST (issue 12 item 5): test accuracy after the same number of
// samples for the synchronous step and for --sync-every H = 1, 4, 16, 64 with --replicas R, over
// several seeds, each with the float32 wire and with `--wire-precision bf16`, and the bytes per
// sample on the coordinator's links.
//
// Accuracy, float32: `gradswarm train` (one process; a local-SGD model is byte-identical for any
// number of workers hosting the replicas, test/local-sgd.integration.test.ts). bf16 only exists on
// the wire, so its runs are `coordinator --wire-precision bf16` with --workers real worker
// processes (in reproducible mode the model is the same for any number of them). Bytes: counted, not
// estimated, in a short `coordinator --topology star` run with --workers real worker processes
// per setting: the per-round traffic of its --metrics, the first round (which also carries the
// data set) left out, divided by the samples of the rounds counted.
//
//   node scripts/bench-local-sgd.mjs [--layers 512] [--epochs 2] [--batch-size 100] [--replicas 4]
//        [--sync-every 1,4,16,64] [--seeds 1,2,3] [--threads 2] [--workers 2] [--precisions f32,bf16]
//        [--steps N (fewer samples than the epochs': N inner steps)]
//        [--data ../shared/data/fashion-mnist] [--out bench-results/bench-local-sgd.json]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { arg, cli, root } from './bench-common.mjs';

const layers = arg('layers', '512');
const epochs = arg('epochs', '2');
const batch = Number(arg('batch-size', '100'));
const replicas = arg('replicas', '4');
const syncEvery = arg('sync-every', '1,4,16,64').split(',').map(Number);
const seeds = arg('seeds', '1,2,3').split(',');
const threads = arg('threads', '2');
const workerCount = Number(arg('workers', '2'));
const precisions = arg('precisions', 'f32,bf16').split(',');
const steps = arg('steps', '');
const stepFlags = steps === '' ? [] : ['--steps', steps];
const dataDir = arg('data', join(root, '..', 'shared', 'data', 'fashion-mnist'));
const outPath = arg('out', join(root, 'bench-results/bench-local-sgd.json'));

const workDir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-local-sgd-'));
process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
const TOKEN = 'bench-local-sgd-token';

const data = [
  '--dataset',
  `idx:${join(dataDir, 'train-images-idx3-ubyte.gz')},${join(dataDir, 'train-labels-idx1-ubyte.gz')}`,
  '--test',
  `idx:${join(dataDir, 't10k-images-idx3-ubyte.gz')},${join(dataDir, 't10k-labels-idx1-ubyte.gz')}`,
];
const model = ['--layers', layers, '--batch-size', String(batch)];
/** The settings compared: the synchronous step (the same R virtual shards) and each H. */
const shapes = [
  { name: 'sync', H: 1, flags: ['--reproducible', replicas] },
  ...syncEvery.map((H) => ({ name: `H=${H}`, H, flags: ['--sync-every', String(H), '--replicas', replicas] })),
];
const settings = precisions.flatMap((precision) =>
  shapes.map((s) => ({
    ...s,
    precision,
    name: precision === 'f32' ? s.name : `${s.name} bf16`,
    wire: precision === 'f32' ? [] : ['--wire-precision', precision],
  })),
);

async function train(setting, seed) {
  if (setting.precision !== 'f32') return coordinatorRun(setting, seed);
  const out = execFileSync(
    process.execPath,
    [
      cli,
      'train',
      ...data,
      ...model,
      '--epochs',
      epochs,
      '--seed',
      seed,
      '--threads',
      threads,
      '--json',
      '--no-progress',
      ...stepFlags,
      ...setting.flags,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 },
  );
  const line = out.trim().split('\n').at(-1);
  return JSON.parse(line);
}

/** A bf16 run's summary: `coordinator --json` with real workers (the wire is where bf16 is). */
async function coordinatorRun(setting, seed) {
  const { stdout } = await withWorkers(
    [...model, ...setting.flags, ...setting.wire, '--epochs', epochs, '--seed', seed, ...stepFlags, '--json'],
    setting.name,
  );
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** A `coordinator` with --workers worker processes; resolves its stdout once all have exited. */
async function withWorkers(flags, name) {
  const coordinator = spawn(
    process.execPath,
    [
      cli,
      'coordinator',
      ...data,
      ...flags,
      '--port',
      '0',
      '--local-threads',
      '0',
      '--min-workers',
      String(workerCount),
      '--token',
      TOKEN,
      '--topology',
      'star',
      '--eval-every',
      '0',
      '--no-progress',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  coordinator.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  const coordinatorExit = new Promise((resolve) => coordinator.on('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    coordinator.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
      const m = stderr.match(/coordinator listening on (ws:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    coordinator.on('exit', (code) => reject(new Error(`coordinator exited (${code}):\n${stderr}`)));
  });
  const cache = join(workDir, 'cache');
  const workers = Array.from({ length: workerCount }, () =>
    spawn(
      process.execPath,
      [cli, 'worker', '--connect', url, '--token', TOKEN, '--threads', '1', '--data-cache', cache],
      {
        stdio: 'ignore',
      },
    ),
  );
  const workerExits = workers.map((p) => new Promise((resolve) => p.on('exit', resolve)));
  const code = await coordinatorExit;
  await Promise.all(workerExits);
  if (code !== 0) throw new Error(`coordinator (${name}) exited with ${code}:\n${stderr}`);
  return { stdout, stderr };
}

/** Bytes per sample on the coordinator's links over a few rounds with real workers. */
async function bytesPerSample(setting) {
  const metrics = join(workDir, `${setting.name.replace(/\W+/g, '-')}.json`);
  const rounds = 4;
  await withWorkers(
    [
      ...model,
      ...setting.flags,
      ...setting.wire,
      '--epochs',
      '1',
      '--steps',
      String(setting.H * rounds),
      '--metrics',
      metrics,
    ],
    setting.name,
  );
  const doc = JSON.parse(readFileSync(metrics, 'utf8'));
  const counted = doc.minibatchTiming.slice(1);
  const bytes = counted.reduce((s, t) => s + t.sentBytes + t.receivedBytes, 0);
  return bytes / (counted.length * setting.H * batch);
}

const started = Date.now();
const rows = [];
for (const setting of settings) {
  const bytes = await bytesPerSample(setting);
  const runs = [];
  for (const seed of seeds) {
    const r = await train(setting, seed);
    runs.push({ seed: Number(seed), testAccuracy: r.testAccuracy, seconds: r.seconds, steps: r.steps });
    console.error(`${setting.name} seed ${seed}: test accuracy ${(r.testAccuracy * 100).toFixed(2)}%`);
  }
  const accs = runs.map((r) => r.testAccuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(accs.length - 1, 1));
  rows.push({
    setting: setting.name,
    H: setting.H,
    precision: setting.precision,
    runs,
    meanTestAccuracy: mean,
    sdTestAccuracy: sd,
    bytesPerSample: bytes,
  });
}

const sync = rows[0];
const doc = {
  bench: 'local-sgd',
  command: `node scripts/bench-local-sgd.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  minutes: Math.round((Date.now() - started) / 600) / 100,
  model: `784-${layers}-10`,
  epochs: Number(epochs),
  ...(steps === '' ? {} : { steps: Number(steps) }),
  batchSize: batch,
  replicas: Number(replicas),
  workersForBytes: workerCount,
  rows,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

const pct = (x) => `${(x * 100).toFixed(2)}%`;
console.log(
  `Fashion-MNIST, 784-${layers}-10, ${steps === '' ? `${epochs} epochs` : `${steps} steps`} at batch ${batch} (${replicas} replicas), seeds ${seeds.join(', ')}`,
);
console.log('| setting | test accuracy (mean ± sd) | vs sync | per seed | bytes per sample | vs sync |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const delta = ((r.meanTestAccuracy - sync.meanTestAccuracy) * 100).toFixed(2);
  console.log(
    `| ${r.setting} | ${pct(r.meanTestAccuracy)} ± ${(r.sdTestAccuracy * 100).toFixed(2)} | ${r === sync ? '—' : `${delta} pt`} | ${r.runs.map((x) => pct(x.testAccuracy)).join(', ')} | ${Math.round(r.bytesPerSample).toLocaleString('en-US')} | ${r === sync ? '—' : `1/${(sync.bytesPerSample / r.bytesPerSample).toFixed(1)}`} |`,
  );
}
console.log(`written: ${relative(process.cwd(), outPath)}; load average ${doc.loadAverage.join(' ')}`);
