#!/usr/bin/env node
// One-thread training throughput of gradswarm next to its peers, alternated in one run on the same
// machine, network, update and data (the texts' NeuralNetMLP hyper-parameters, 8000 embedded MNIST
// digits): PyTorch (scripts/peers/torch_mlp.py; Debian: apt-get install python3-torch) and numpy
// float32 (scripts/peers/numpy_mlp.py, one hidden layer only), each with one thread. Prints the
// ratios gradswarm ÷ peer; a peer that is not installed is skipped with a message. Rounds interleave
// the three and the best round of each is kept (the machine is shared and noisy: compare ratios
// within one run, and look at the spread printed per figure).
//
//   node scripts/bench-peers.mjs [--backend native] [--repeat 3] [--no-torch] [--no-numpy]
//                                [--configs 784-50-10:200,784-512-10:1000,784-2048-2048-10:256]
//                                [--out bench-results/bench-peers.json]
// Each figure is also measured in CPU time, which does not count the slices of a shared core given
// to other processes as the wall clock does: the peers time their steps with process_time; for
// gradswarm (where Linux tells it, /proc/self/stat: the CPU time of the children waited for) the
// samples of the epochs after the first divided by the CPU seconds they added over a one-epoch
// run of the same command right after it, so start-up, loading and the final evaluation cancel.
// For numpy's own kernels, unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in that command if set.
// Debian's python3-torch runs its GEMMs through the system libblas.so.3: install
// libopenblas0-pthread as well, or they run in the netlib reference BLAS, 10× slower.
import { execFileSync, spawnSync } from 'node:child_process';
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
const outPath = arg('out', join(root, 'bench-results/bench-peers.json'));
const backend = core.selectBackend(arg('backend', 'native')).name;
const configs = networkConfigs('784-50-10:200,784-512-10:1000,784-2048-2048-10:256');

const TRAIN_SAMPLES = EMBEDDED_TRAIN_SAMPLES;
const PY_ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Epochs so that one run lasts about 1.5 s at 30 GFLOP/s (at least two: the CPU-time figure needs one past the first). */
const epochsFor = (config) => Math.max(2, Math.round(4.5e10 / (flopPerSample(config.layers) * TRAIN_SAMPLES)));

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) of this process's waited-for children, or null where /proc has no such fields. */
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    const ticks = Number(f[13]) + Number(f[14]); // fields 16 and 17: cutime, cstime
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

/** Runs `fn` (one child process) and returns its result with the CPU seconds the child used. */
function measured(fn) {
  const before = childrenCpuSeconds();
  const value = fn();
  const after = childrenCpuSeconds();
  return { value, cpu: before === null || after === null || !value ? null : after - before };
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

/**
 * The python3 that can import `module` (and its version): `python3` first, then the system's
 * /usr/bin/python3 (Debian's python3-torch installs there even where another python3 comes
 * first on PATH), or null, reported once, when none can.
 */
function pythonWith(module) {
  if (process.argv.includes(`--no-${module}`)) return null;
  for (const exe of [...new Set(['python3', '/usr/bin/python3'])]) {
    const r = spawnSync(exe, ['-c', `import ${module}; print(${module}.__version__)`], {
      env: PY_ENV,
      encoding: 'utf8',
    });
    if (r.status === 0) return { exe, version: r.stdout.trim() };
  }
  process.stderr.write(
    `bench-peers: skipping ${module}: no python3 here can import it${module === 'torch' ? ' - help: apt-get install python3-torch (Debian) or pip install torch' : ''}\n`,
  );
  return null;
}
const torchPy = pythonWith('torch');
const numpyPy = pythonWith('numpy');
const torchVersion = torchPy?.version ?? null;
const numpyVersion = numpyPy?.version ?? null;

const dir = mkdtempSync(join(tmpdir(), 'gradswarm-peers-'));
const files = { x: join(dir, 'x.f32'), y: join(dir, 'y.i32') };
const mnist = data.loadEmbeddedMnist();
writeFileSync(files.x, new Uint8Array(mnist.features.buffer, mnist.features.byteOffset, TRAIN_SAMPLES * 784 * 4));
writeFileSync(files.y, new Uint8Array(mnist.labels.buffer, mnist.labels.byteOffset, TRAIN_SAMPLES * 4));

function gradswarm(config, epochs) {
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
    String(epochs),
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
  return JSON.parse(out.trim().split('\n').pop()).samplesPerSecond;
}

function python(py, script, args) {
  try {
    const [wall, cpu] = execFileSync(py.exe, [join(root, 'scripts/peers', script), files.x, files.y, ...args], {
      env: PY_ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split(/\s+/)
      .map(Number);
    return { wall, cpu };
  } catch (err) {
    process.stderr.write(
      `bench-peers: ${script} failed: ${String(err.stderr ?? err)
        .split('\n')
        .slice(-2)
        .join(' ')}\n`,
    );
    return null;
  }
}

const runs = new Map(); // `${config}|${who}` → samples/s of every round
const cpuRuns = new Map(); // `${config}|${who}` → samples per CPU second of every round
const note = (map, key, v) => v && map.set(key, [...(map.get(key) ?? []), v]);

/** gradswarm's samples/s, and per CPU second from the CPU time its epochs add over a one-epoch run. */
function gradswarmRun(config, epochs) {
  const m = measured(() => gradswarm(config, epochs));
  // The one-epoch run right after, in the same conditions, so the pair's difference is the epochs'.
  const first = measured(() => gradswarm(config, 1)).cpu;
  const ok = m.cpu !== null && first !== null && m.cpu > first;
  return { wall: m.value, cpu: ok ? ((epochs - 1) * TRAIN_SAMPLES) / (m.cpu - first) : null };
}

/** The runs for one network: who → (epochs → { wall, cpu } samples per second). */
const runners = (config) => ({
  gradswarm: (epochs) => gradswarmRun(config, epochs),
  ...(torchPy && {
    torch: (epochs) => python(torchPy, 'torch_mlp.py', [config.layers.join(','), String(config.batch), String(epochs)]),
  }),
  ...(numpyPy &&
    config.layers.length === 3 && {
      numpy: (epochs) =>
        python(numpyPy, 'numpy_mlp.py', [String(config.layers[1]), String(config.batch), String(epochs), 'f32']),
    }),
});
for (let r = 0; r < repeat; r++) {
  for (const config of configs) {
    const key = `${config.name}:${config.batch}`;
    const epochs = epochsFor(config);
    for (const [who, run] of Object.entries(runners(config))) {
      const m = run(epochs);
      note(runs, `${key}|${who}`, m?.wall);
      note(cpuRuns, `${key}|${who}`, m?.cpu);
    }
    process.stderr.write(
      `round ${r + 1}/${repeat} ${key}: ${['gradswarm', 'torch', 'numpy'].map((w) => `${w} ${Math.round(runs.get(`${key}|${w}`)?.at(-1) ?? 0)} (${Math.round(cpuRuns.get(`${key}|${w}`)?.at(-1) ?? 0)} per CPU s)`).join(', ')}\n`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });

const best = (xs) => (xs ? Math.max(...xs) : null);
const spread = (xs) => (xs && xs.length > 1 ? Number((Math.max(...xs) / Math.min(...xs)).toFixed(2)) : null);
const results = configs.map((config) => {
  const key = `${config.name}:${config.batch}`;
  const [g, t, n] = ['gradswarm', 'torch', 'numpy'].map((w) => runs.get(`${key}|${w}`));
  const ratio = (peer) => (best(g) && best(peer) ? Number((best(g) / best(peer)).toFixed(2)) : null);
  const [gc, tc, nc] = ['gradswarm', 'torch', 'numpy'].map((w) => cpuRuns.get(`${key}|${w}`));
  const cpuRatio = (peer) => (best(gc) && best(peer) ? Number((best(gc) / best(peer)).toFixed(2)) : null);
  return {
    network: config.name,
    batchSize: config.batch,
    samplesPerSecond: { gradswarm: best(g), torch: best(t), numpy: best(n) },
    spread: { gradswarm: spread(g), torch: spread(t), numpy: spread(n) },
    overTorch: ratio(t),
    overNumpy: ratio(n),
    samplesPerCpuSecond: { gradswarm: best(gc), torch: best(tc), numpy: best(nc) },
    overTorchCpu: cpuRatio(tc),
    overNumpyCpu: cpuRatio(nc),
  };
});
const doc = {
  benchmark: 'bench-peers',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  node: process.version,
  backend,
  torch: torchVersion || null,
  numpy: numpyVersion || null,
  threads: 1,
  caches: core.readCpuCaches(),
  blocking: Object.fromEntries(core.nativeIsas().map((isa) => [isa, core.kernelBlocking(isa)])),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);
const fmt = (v) => (v ? Math.round(v).toLocaleString('en-US') : '–');
const x = (v) => (v ? `${v.toFixed(2)}x` : '–');
const lines = [
  `| network | batch | gradswarm (${backend}) | PyTorch ${torchVersion || '(missing)'} | numpy f32 | ÷ PyTorch | ÷ numpy | spread (max/min) g/t/n | per CPU second g/t/n | ÷ PyTorch, CPU time | ÷ numpy, CPU time |`,
  '|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|',
];
for (const r of results) {
  const s = r.samplesPerSecond;
  lines.push(
    `| ${r.network} | ${r.batchSize} | ${fmt(s.gradswarm)} | ${fmt(s.torch)} | ${fmt(s.numpy)} | ${x(r.overTorch)} | ${x(r.overNumpy)} | ${[r.spread.gradswarm, r.spread.torch, r.spread.numpy].map((v) => v ?? '–').join(' / ')} | ${[r.samplesPerCpuSecond.gradswarm, r.samplesPerCpuSecond.torch, r.samplesPerCpuSecond.numpy].map(fmt).join(' / ')} | ${x(r.overTorchCpu)} | ${x(r.overNumpyCpu)} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\nsamples/s (wall clock, and per CPU second of the epochs after the first), one thread each, best of ${repeat} alternated rounds. ${doc.cpu}, ${doc.node}; JSON: ${outPath}\n`,
);
