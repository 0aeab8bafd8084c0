#!/usr/bin/env node
// GEMM throughput (GFLOP/s, float32, one thread) of every kernel backend that loads here, on the
// four shapes of the kernel plan and on the products one training step runs (forward NT, gradient TN,
// delta NN), next to numpy/OpenBLAS on the same machine (if python3 with numpy is installed,
// forced to one thread) and to the core's peak: measured clock × 64 FLOP/cycle where the CPU has
// AVX-512 (two 16-wide FMA pipes), × 32 otherwise (two 8-wide). native-avx2 gets one column per
// micro-kernel this CPU runs (avx512, avx2: the same bits, different speed). Rounds interleave the backends and numpy and the best round is kept, because this
// machine is shared and noisy; compare the ratios, not the absolute numbers. Every time is CPU time
// (this process's, numpy's process_time, and the clock probe's), so slices of the core given to
// other processes do not count.
//
//   node scripts/bench-kernels.mjs [--backends native-avx2,native-portable,reference] [--repeat 3]
//                                  [--no-numpy] [--small] [--out bench-results/bench-kernels.json]
// --small instead times tiny products per call (native vs reference), the basis of NATIVE_MIN_WORK.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { arg, loadCore, root } from './bench-common.mjs';

const core = await loadCore();

const repeat = Number(arg('repeat', '3'));
const outPath = arg('out', join(root, 'bench-results/bench-kernels.json'));
// Every backend that loads here, once each (`native` and `wasm` are aliases of a precise name).
const micros = core.nativeMicroKernels('avx2');
const backends = [
  ...new Set(
    arg('backends', core.availableBackends().join(','))
      .split(',')
      .map((n) => core.selectBackend(n)),
  ),
].flatMap((b) =>
  b.name === 'native-avx2' && micros.length > 1
    ? micros.map((micro) => ({
        ...core.createNativeBackend('avx2', { blocking: core.kernelBlocking('avx2'), micro }),
        name: `native-avx2 ${micro}`,
      }))
    : [b],
);
const withNumpy = !process.argv.includes('--no-numpy');

/** [label, op, m, n, k]: op is NN (A·B), NT (A·Bᵀ, the forward product) or TN (Aᵀ·B, the gradient). */
const SHAPES = [
  ['plan: (200×784)·(784×50)', 'NN', 200, 50, 784],
  ['plan: (200×784)·(784×256)', 'NN', 200, 256, 784],
  ['plan: (1000×784)·(784×1024)', 'NN', 1000, 1024, 784],
  ['plan: (1024×1024)·(1024×1024)', 'NN', 1024, 1024, 1024],
  ['forward 784→50, batch 200', 'NT', 200, 50, 784],
  ['gradient ∂W 784→50, batch 200', 'TN', 50, 784, 200],
  ['forward 784→512, batch 1000', 'NT', 1000, 512, 784],
  ['gradient ∂W 784→512, batch 1000', 'TN', 512, 784, 1000],
  ['delta 512←10, batch 1000', 'NN', 1000, 512, 10],
  ['forward 512→10, batch 1000', 'NT', 1000, 10, 512],
  // The wider network's step (784-2048-2048-10, batch 256): its products at 2048 units.
  ['forward 2048→2048, batch 256', 'NT', 256, 2048, 2048],
  ['gradient ∂W 2048→2048, batch 256', 'TN', 2048, 2048, 256],
  ['delta 2048←2048, batch 256', 'NN', 256, 2048, 2048],
];

function operands(op, m, n, k) {
  const rnd = (len) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.618) * 0.5);
  const tA = op === 'TN';
  const tB = op === 'NT';
  return { tA, tB, a: rnd(m * k), lda: tA ? m : k, b: rnd(k * n), ldb: tB ? k : n, c: new Float32Array(m * n) };
}

/**
 * This process's CPU seconds (user + system). The calls are timed by CPU time, and numpy's by
 * its process_time, not by the wall clock: on a machine shared by more runnable processes than
 * cores, wall time counts the slices given to others (a run at load 15 read a third of one at
 * load 5, with the ratios scattered), CPU time only the work's own.
 */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Best CPU seconds per call over batches of calls lasting at least minSeconds. */
function timeCalls(fn, minSeconds) {
  fn();
  let calls = 1;
  for (;;) {
    const t = cpuSeconds();
    for (let i = 0; i < calls; i++) fn();
    const s = cpuSeconds() - t;
    if (s >= minSeconds || calls > 1e6) return s / calls;
    calls *= Math.max(2, Math.ceil(minSeconds / Math.max(s, 1e-6)));
  }
}

const NUMPY = `
import json, sys, time, numpy as np
shapes = json.loads(sys.argv[1]); out = {}
for label, op, m, n, k in shapes:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if op == 'TN' else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if op == 'NT' else (k, n), dtype=np.float32)
    A = a.T if op == 'TN' else a
    B = b.T if op == 'NT' else b
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(A, B, out=c)
    calls = 1
    while True:
        t = time.process_time()
        for _ in range(calls): np.matmul(A, B, out=c)
        s = time.process_time() - t
        if s >= 0.2: break
        calls *= max(2, int(0.2 / max(s, 1e-6)) + 1)
    out[label] = 2.0 * m * n * k / (s / calls) / 1e9
cfg = np.__config__.CONFIG.get('Build Dependencies', {}).get('blas', {}) if hasattr(np.__config__, 'CONFIG') else {}
print(json.dumps({'gflops': out, 'numpy': np.__version__, 'blas': str(cfg.get('name', '?')) + ' ' + str(cfg.get('version', ''))}))
`;

function numpyRound() {
  if (!withNumpy) return null;
  try {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    return JSON.parse(
      execFileSync('python3', ['-c', NUMPY, JSON.stringify(SHAPES)], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
  } catch {
    return null;
  }
}

function smallBench() {
  const native = backends.find((b) => b.name.startsWith('native'));
  if (!native) throw new Error('--small needs a native backend');
  const [isa, micro] = native.name.replace('native-', '').split(' ');
  const raw = core.createNativeBackend(isa, { minWork: 0, micro }); // no threshold: the addon itself
  process.stdout.write(
    `| n (n×n×n) | multiply-adds | reference µs/call | ${native.name} µs/call |\n|---:|---:|---:|---:|\n`,
  );
  for (const n of [2, 4, 8, 12, 16, 24, 32, 48]) {
    const { a, b, c } = operands('NN', n, n, n);
    const ref = timeCalls(
      () => core.referenceBackend.gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false),
      0.05,
    );
    const fast = timeCalls(() => raw.gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false), 0.05);
    process.stdout.write(`| ${n} | ${n ** 3} | ${(ref * 1e6).toFixed(2)} | ${(fast * 1e6).toFixed(2)} |\n`);
  }
  process.stdout.write(
    `\n(gemm per call, the native column with the threshold off; current NATIVE_MIN_WORK: ${core.NATIVE_MIN_WORK} multiply-adds)\n`,
  );
}

if (process.argv.includes('--small')) {
  smallBench();
  process.exit(0);
}

// The clock is probed before and after every round and the highest reading kept: a probe that
// shares its core with another process reads low, never high.
let clockHz = 0;
const probeClock = () =>
  (clockHz = Math.max(clockHz, core.measureCpuClockHz(3) ?? Number(cpus()[0]?.speed ?? 0) * 1e6));
probeClock();
const best = new Map(); // `${backend}|${label}` → GFLOP/s
let numpyInfo = null;
const keep = (key, v) => best.set(key, Math.max(best.get(key) ?? 0, v));
for (let r = 0; r < repeat; r++) {
  for (const [label, op, m, n, k] of SHAPES) {
    const { tA, tB, a, lda, b, ldb, c } = operands(op, m, n, k);
    for (const backend of backends) {
      const slow = backend.name === 'reference'; // a call can take a second: time single calls
      const s = timeCalls(() => backend.gemm(tA, tB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false), slow ? 0.05 : 0.2);
      keep(`${backend.name}|${label}`, (2 * m * n * k) / s / 1e9);
    }
  }
  const np = numpyRound();
  if (np) {
    numpyInfo = { numpy: np.numpy, blas: np.blas };
    for (const [label, v] of Object.entries(np.gflops)) keep(`numpy|${label}`, v);
  }
  process.stderr.write(`round ${r + 1}/${repeat} done\n`);
  probeClock();
}
const flopPerCycle = core.peakFlopPerCycle(micros[0] ?? 'avx2');
const peak = (clockHz * flopPerCycle) / 1e9;

const columns = [...backends.map((b) => b.name), ...(numpyInfo ? ['numpy'] : [])];
const fast = backends.find((b) => b.name.startsWith('native'))?.name;
const results = SHAPES.map(([label, op, m, n, k]) => {
  const row = { product: label, op, m, n, k, gflops: {}, fractionOfPeak: {} };
  for (const col of columns) {
    const v = best.get(`${col}|${label}`);
    if (v === undefined) continue;
    row.gflops[col] = Number(v.toFixed(1));
    row.fractionOfPeak[col] = Number((v / peak).toFixed(3));
  }
  if (fast && row.gflops.numpy) row.fastOverNumpy = Number((row.gflops[fast] / row.gflops.numpy).toFixed(3));
  return row;
});

const doc = {
  benchmark: 'bench-kernels',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  node: process.version,
  clockGHz: Number((clockHz / 1e9).toFixed(3)),
  peakGflops: Number(peak.toFixed(1)),
  flopPerCycle,
  microKernels: micros,
  numpy: numpyInfo,
  // The native GEMM's cache blocking per instruction set (speed only, never bits) and what it came from.
  caches: core.readCpuCaches(),
  blocking: Object.fromEntries(core.nativeIsas().map((isa) => [isa, core.kernelBlocking(isa)])),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

const label = (c) => (c === 'numpy' ? 'numpy (OpenBLAS, 1 thread)' : c);
const lines = [`| product | op | ${columns.map(label).join(' | ')} |${fast && numpyInfo ? ` ${fast} ÷ numpy |` : ''}`];
lines.push(`|---|---|${columns.map(() => '---:').join('|')}|${fast && numpyInfo ? '---:|' : ''}`);
for (const r of results) {
  const cells = columns.map((c) =>
    r.gflops[c] === undefined ? '–' : `${r.gflops[c].toFixed(1)} (${(r.fractionOfPeak[c] * 100).toFixed(0)}%)`,
  );
  lines.push(
    `| ${r.product} | ${r.op} | ${cells.join(' | ')} |${fast && numpyInfo ? ` ${r.fastOverNumpy?.toFixed(2) ?? '–'}x |` : ''}`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\nGFLOP/s (fraction of peak). Peak ${doc.peakGflops} GFLOP/s = measured clock ${doc.clockGHz} GHz × ${flopPerCycle} FLOP/cycle. ` +
    `${doc.cpu}, ${doc.node}${numpyInfo ? `, numpy ${numpyInfo.numpy} (${numpyInfo.blas})` : ''}; best of ${repeat} interleaved rounds; ` +
    `blocking ${
      Object.entries(doc.blocking)
        .map(([isa, b]) => `${isa} mc ${b.mc} kc ${b.kc} nc ${b.nc} (${b.source})`)
        .join(', ') || 'none'
    }; JSON: ${outPath}\n`,
);
