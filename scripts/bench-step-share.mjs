#!/usr/bin/env node
// Where a training step's time goes (issue 15, item 3): one float32 gradient step
// (gradientSum: gather the minibatch rows, forward, output loss, backward) on one thread, next to
// the same step's GEMMs alone (forward NT, gradient TN and delta NN per layer, the same shapes) and
// its element-wise passes alone (row gather, bias + activation, output loss, activation derivative,
// bias column sums), so the non-GEMM share of a step is measured, not guessed. Rounds interleave the
// parts call by call and the fastest of each is kept (shared, noisy machine: compare shares, not
// absolute times).
//
//   node scripts/bench-step-share.mjs [--backend native] [--repeat 5]
//                                     [--configs 784-50-10:200,784-512-10:1000,784-2048-2048-10:256]
//                                     [--out bench-results/bench-step-share.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { arg, loadCore, networkConfigs, root } from './bench-common.mjs';

const core = await loadCore();

const repeat = Number(arg('repeat', '5'));
const outPath = arg('out', join(root, 'bench-results/bench-step-share.json'));
const backend = core.selectBackend(arg('backend', 'native'));
const configs = networkConfigs('784-50-10:200,784-512-10:1000,784-2048-2048-10:256');

const rnd = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.618 + seed) * 0.5);

function parts(config) {
  const { layers, batch } = config;
  const spec = { layers, hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };
  const params = new Float32Array(core.parameterCount(layers));
  core.initializeParameters(layers, 'uniform', new core.Rng(1), params, 1);
  const samples = 4 * batch;
  const data = {
    features: rnd(samples * layers[0], 1),
    labels: Int32Array.from({ length: samples }, (_, i) => (i * 7) % layers.at(-1)),
    count: samples,
    featureCount: layers[0],
    classCount: layers.at(-1),
  };
  const index = Uint32Array.from({ length: samples }, (_, i) => (i * 13) % samples);
  const grad = new Float32Array(params.length);
  const ws = core.createWorkspace(spec, batch);
  const sel = { index, offset: batch, count: batch };
  const out = { step: () => core.gradientSum(backend, params, data, sel, grad, ws) };
  const gemms = [];
  const passes = [];
  const x0 = new Float32Array(batch * layers[0]);
  // Each pass under its name, so the table says which one costs (the same name over layers adds up).
  const pass = (name, fn) => passes.push({ name, fn });
  pass('gather', () => backend.gatherRows(data.features, layers[0], index, batch, batch, x0));
  for (let l = 1; l < layers.length; l++) {
    const [nIn, nOut] = [layers[l - 1], layers[l]];
    const x = rnd(batch * nIn, l);
    const w = rnd(nOut * nIn, l + 1);
    const z = rnd(batch * nOut, l + 2);
    const a = new Float32Array(batch * nOut);
    const g = new Float32Array(nOut * nIn);
    const dIn = new Float32Array(batch * nIn);
    const bias = rnd(nOut, l + 3);
    gemms.push(() => backend.gemm(false, true, batch, nOut, nIn, x, 0, nIn, w, 0, nIn, z, 0, nOut, false)); // forward
    gemms.push(() => backend.gemm(true, false, nOut, nIn, batch, z, 0, nOut, x, 0, nIn, g, 0, nIn, false)); // ∂W = δᵀ·A
    if (l > 1)
      gemms.push(() => backend.gemm(false, false, batch, nIn, nOut, z, 0, nOut, w, 0, nIn, dIn, 0, nIn, false)); // δ·W
    pass('column sums', () => backend.addColumnSums(z, batch, nOut, bias, 0, 1));
    if (l < layers.length - 1) {
      pass('bias + activation', () => backend.biasActivation(z, a, batch, nOut, bias, 0, 1, 'sigmoid'));
      pass('derivative', () => backend.mulActivationPrime('sigmoid', a, z, a, batch * nOut));
    } else {
      const labels = Int32Array.from({ length: batch }, (_, i) => i % nOut);
      pass('output loss', () => backend.outputLoss('sigmoid', 'bce', z, a, a, batch, nOut, labels, null, 0));
    }
  }
  return { ...out, gemms, passes };
}

const results = [];
for (const config of configs) {
  const p = parts(config);
  // Step, GEMMs and passes run back to back in each iteration, timed per call and the minimum of
  // each kept: a burst of load from another process then hits one iteration, not one part.
  let step = Infinity;
  let gemm = Infinity;
  let pass = Infinity;
  const each = new Map(p.passes.map((q) => [q.name, Infinity]));
  const time = (fns) => {
    const t = performance.now();
    for (const f of fns) f();
    return (performance.now() - t) / 1000;
  };
  const iterations = repeat * 20;
  for (let i = 0; i < iterations; i++) {
    step = Math.min(step, time([p.step]));
    gemm = Math.min(gemm, time(p.gemms));
    pass = Math.min(pass, time(p.passes.map((q) => q.fn)));
    const sums = new Map();
    for (const q of p.passes) sums.set(q.name, (sums.get(q.name) ?? 0) + time([q.fn]));
    for (const [name, s] of sums) each.set(name, Math.min(each.get(name), s));
  }
  results.push({
    network: config.name,
    batchSize: config.batch,
    stepMs: Number((step * 1e3).toFixed(3)),
    gemmMs: Number((gemm * 1e3).toFixed(3)),
    passesMs: Number((pass * 1e3).toFixed(3)),
    nonGemmShare: Number((1 - gemm / step).toFixed(3)),
    passesShare: Number((pass / step).toFixed(3)),
    passMs: Object.fromEntries([...each].map(([name, s]) => [name, Number((s * 1e3).toFixed(4))])),
  });
}
const doc = {
  benchmark: 'bench-step-share',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  node: process.version,
  backend: backend.name,
  blocking: Object.fromEntries(core.nativeIsas().map((isa) => [isa, core.kernelBlocking(isa)])),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);
const lines = [
  '| network | batch | step ms | its GEMMs alone ms | element-wise passes alone ms | non-GEMM share (1 − GEMMs/step) | passes ÷ step |',
  '|---|---:|---:|---:|---:|---:|---:|',
];
for (const r of results)
  lines.push(
    `| ${r.network} | ${r.batchSize} | ${r.stepMs} | ${r.gemmMs} | ${r.passesMs} | ${(r.nonGemmShare * 100).toFixed(1)}% | ${(r.passesShare * 100).toFixed(1)}% |`,
  );
lines.push(
  '',
  `| network | batch | ${[...new Set(results.flatMap((r) => Object.keys(r.passMs)))].join(' ms | ')} ms |`,
);
const names = [...new Set(results.flatMap((r) => Object.keys(r.passMs)))];
lines.push(`|---|---:|${names.map(() => '---:').join('|')}|`);
for (const r of results)
  lines.push(`| ${r.network} | ${r.batchSize} | ${names.map((n) => r.passMs[n] ?? '–').join(' | ')} |`);
process.stdout.write(
  `${lines.join('\n')}\n\n${backend.name}, one thread, float32, sigmoid/sigmoid + bce; fastest of ${repeat * 20} interleaved iterations. ${doc.cpu}, ${doc.node}; JSON: ${outPath}\n`,
);
