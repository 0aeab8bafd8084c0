#!/usr/bin/env node
// One-thread training throughput per kernel backend, next to the texts' NeuralNetMLP in numpy
// (one OpenBLAS thread) on the same machine and the same 8000 embedded MNIST digits, twice: with
// every array float32 ("numpy-f32"), and as the texts write it ("numpy-texts": np.ones and
// np.random.uniform make float64 arrays, so most of the work runs in float64), plus the figures the
// kernel plan quoted.
// Runs the built `gradswarm train --threads 1 --kernel <name>` with the texts' hyper-parameters
// (Raschka's NeuralNetMLP: sigmoid/sigmoid + bce, uniform ±1 init, l2 0.1, eta 0.001, alpha
// 0.001, decrease_const 1e-5 compounding, summed cost) for 784-50-10 at batch 200 and 784-512-10
// at batch 1000, interleaving backends and numpy and keeping the best of --repeat rounds (this
// machine is shared and noisy: compare ratios within one run). samples/s counts training steps
// only, on both sides. Each figure is also given as GFLOP/s and as a fraction of the core's peak
// (measured clock × 64 FLOP/cycle where the CPU has AVX-512, × 32 otherwise), with FLOP/sample = 2·(forward + ∂W + delta products).
//
//   node scripts/bench-train-kernels.mjs [--backends native-avx2,reference] [--repeat 3] [--no-numpy]
//                                        [--configs 784-50-10:200,784-512-10:1000] [--out bench-results/bench-train-kernels.json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  EMBEDDED_TRAIN_SAMPLES,
  TEXTS_FLAGS,
  arg,
  cli,
  loadCore,
  loadData,
  networkConfigs,
  root,
} from './bench-common.mjs';

const core = await loadCore();
const data = await loadData();

const repeat = Number(arg('repeat', '3'));
const outPath = arg('out', join(root, 'bench-results/bench-train-kernels.json'));
// Every backend that loads here, by its precise name (`native` and `wasm` are aliases).
const backends = [
  ...new Set(
    arg('backends', core.availableBackends().join(','))
      .split(',')
      .map((n) => core.selectBackend(n).name),
  ),
];
const withNumpy = !process.argv.includes('--no-numpy');
const configs = networkConfigs('784-50-10:200,784-512-10:1000');

const TRAIN_SAMPLES = EMBEDDED_TRAIN_SAMPLES;

/** Epochs per run, so that a run trains for roughly a second at the expected speed. */
function epochsFor(backend, config) {
  const big = config.layers[1] >= 256;
  if (backend === 'reference') return 1;
  if (backend.endsWith('portable') || backend.startsWith('wasm')) return big ? 2 : 8;
  return big ? 8 : 30;
}

function flopPerSample(layers) {
  let fwd = 0;
  let delta = 0;
  for (let l = 1; l < layers.length; l++) {
    fwd += layers[l - 1] * layers[l];
    if (l > 1) delta += layers[l - 1] * layers[l];
  }
  return 2 * (2 * fwd + delta);
}

function runCli(config, backend) {
  const args = [
    cli,
    'train',
    '--dataset',
    'mnist',
    '--layers',
    config.layers.join(','),
    ...TEXTS_FLAGS,
    '--batch-size',
    String(config.batch),
    '--epochs',
    String(epochsFor(backend, config)),
    '--threads',
    '1',
    '--kernel',
    backend,
    '--eval-every',
    '0',
    '--json',
    '--no-progress',
  ];
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const s = JSON.parse(out.trim().split('\n').pop());
  if (s.backend !== backend) throw new Error(`asked for ${backend}, the CLI ran ${s.backend}`);
  return s.samplesPerSecond;
}

/** samples/s the kernel plan quoted for the texts' NeuralNetMLP in numpy on this machine. */
const ISSUE_NUMPY = { '784-50-10:200': 123000, '784-512-10:1000': 23000 };

// The texts' NeuralNetMLP (Raschka) in numpy (scripts/peers/numpy_mlp.py), timed over the
// minibatch loop only; its last argument f32 makes every array float32, texts keeps the texts' dtypes.
const NUMPY = readFileSync(join(root, 'scripts/peers/numpy_mlp.py'), 'utf8');

let files = null;
function numpyRun(config, variant) {
  if (!withNumpy) return null;
  if (!files) {
    const dir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-'));
    const mnist = data.loadEmbeddedMnist();
    files = { dir, x: join(dir, 'x.f32'), y: join(dir, 'y.i32') };
    writeFileSync(files.x, new Uint8Array(mnist.features.buffer, mnist.features.byteOffset, TRAIN_SAMPLES * 784 * 4));
    writeFileSync(files.y, new Uint8Array(mnist.labels.buffer, mnist.labels.byteOffset, TRAIN_SAMPLES * 4));
  }
  const epochs = config.layers[1] >= 256 ? (variant === 'f32' ? 4 : 2) : 15;
  try {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const out = execFileSync(
      'python3',
      ['-c', NUMPY, files.x, files.y, String(config.layers[1]), String(config.batch), String(epochs), variant],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return Number(out.trim());
  } catch (err) {
    process.stderr.write(
      `numpy run failed: ${String(err.stderr ?? err)
        .split('\n')
        .slice(-2)
        .join(' ')}\n`,
    );
    return null;
  }
}

// The clock is probed before and after every round and the highest reading kept: a probe that
// shares its core with another process reads low, never high.
let clockHz = 0;
const probeClock = () =>
  (clockHz = Math.max(clockHz, core.measureCpuClockHz(3) ?? Number(cpus()[0]?.speed ?? 0) * 1e6));
probeClock();
const best = new Map();
const keep = (key, v) => v && best.set(key, Math.max(best.get(key) ?? 0, v));
for (let r = 0; r < repeat; r++) {
  for (const config of configs) {
    for (const backend of backends) {
      if (backend === 'reference' && r > 0) continue; // one run of the TS path is enough
      const v = runCli(config, backend);
      keep(`${config.name}:${config.batch}|${backend}`, v);
      process.stderr.write(`${config.name} b${config.batch} ${backend} round ${r + 1}: ${Math.round(v)} samples/s\n`);
    }
    for (const variant of ['f32', 'texts']) {
      const v = numpyRun(config, variant);
      keep(`${config.name}:${config.batch}|numpy-${variant}`, v);
      if (v)
        process.stderr.write(
          `${config.name} b${config.batch} numpy-${variant} round ${r + 1}: ${Math.round(v)} samples/s\n`,
        );
    }
  }
  probeClock();
}
const flopPerCycle = core.peakFlopPerCycle(core.nativeMicroKernels('avx2')[0] ?? 'avx2');
const peak = (clockHz * flopPerCycle) / 1e9;
if (files) rmSync(files.dir, { recursive: true, force: true });

const NUMPY_LABEL = {
  'numpy-f32': 'numpy NeuralNetMLP, float32 arrays (OpenBLAS, 1 thread)',
  'numpy-texts': 'numpy NeuralNetMLP as the texts write it (float64 arrays)',
  issue: 'numpy figure quoted in the kernel plan',
};
const columns = [...backends, ...(withNumpy ? ['numpy-f32', 'numpy-texts'] : [])];
const results = [];
for (const config of configs) {
  const key = `${config.name}:${config.batch}`;
  const flop = flopPerSample(config.layers);
  const f32 = best.get(`${key}|numpy-f32`) ?? null;
  const texts = best.get(`${key}|numpy-texts`) ?? null;
  const issue = ISSUE_NUMPY[key] ?? null;
  const rows = columns.map((col) => [col, best.get(`${key}|${col}`)]);
  if (issue) rows.push(['issue', issue]);
  for (const [col, v] of rows) {
    if (v === undefined) continue;
    const ratio = (base) => (base ? Number((v / base).toFixed(2)) : null);
    results.push({
      network: config.name,
      batchSize: config.batch,
      backend: NUMPY_LABEL[col] ?? col,
      samplesPerSecond: Math.round(v),
      gflops: Number(((v * flop) / 1e9).toFixed(1)),
      fractionOfPeak: Number(((v * flop) / 1e9 / peak).toFixed(3)),
      overNumpyFloat32: ratio(f32),
      overNumpyTexts: ratio(texts),
      overIssueNumpy: ratio(issue),
    });
  }
}
const doc = {
  benchmark: 'bench-train-kernels',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  node: process.version,
  threads: 1,
  clockGHz: Number((clockHz / 1e9).toFixed(3)),
  peakGflops: Number(peak.toFixed(1)),
  caches: core.readCpuCaches(),
  blocking: Object.fromEntries(core.nativeIsas().map((isa) => [isa, core.kernelBlocking(isa)])),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);
const x = (r) => (r === null ? '–' : `${r.toFixed(2)}x`);
const lines = [
  '| network | batch | backend | samples/s | GFLOP/s (of peak) | ÷ numpy f32 | ÷ numpy as written | ÷ quoted figure |',
  '|---|---:|---|---:|---:|---:|---:|---:|',
];
for (const r of results) {
  lines.push(
    `| ${r.network} | ${r.batchSize} | ${r.backend} | ${r.samplesPerSecond.toLocaleString('en-US')} | ${r.gflops.toFixed(1)} (${(r.fractionOfPeak * 100).toFixed(0)}%) | ${x(r.overNumpyFloat32)} | ${x(r.overNumpyTexts)} | ${x(r.overIssueNumpy)} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\nOne thread, float32, the texts' hyper-parameters. Peak ${doc.peakGflops} GFLOP/s = measured clock ${doc.clockGHz} GHz × ${flopPerCycle} FLOP/cycle. ` +
    `${doc.cpu}, ${doc.node}; best of ${repeat} interleaved rounds (reference: 1); ` +
    `blocking ${
      Object.entries(doc.blocking)
        .map(([isa, b]) => `${isa} mc ${b.mc} kc ${b.kc} nc ${b.nc} (${b.source})`)
        .join(', ') || 'none'
    }; JSON: ${outPath}\n`,
);
