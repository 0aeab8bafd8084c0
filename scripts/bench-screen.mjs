#!/usr/bin/env node
// What screening a remote worker's shard result costs the coordinator (result-screen.ts's
// summarize: one pass over the P floats of the shard gradient, float64 sum of squares), next to
// what computing that shard's gradient costs a worker (core's gradientSum with the fastest
// backend), per network and shard size. Best of --repeat interleaved rounds.
//
//   node scripts/bench-screen.mjs [--repeat 5] [--out bench-results/bench-screen.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { arg, loadCore, root } from './bench-common.mjs';

const core = await loadCore();
const screen = await import(join(root, 'packages/coordinator/dist/result-screen.js'));

const repeat = Number(arg('repeat', '5'));
const outPath = arg('out', join(root, 'bench-results/bench-screen.json'));

const backend = core.selectBackend();
const rng = new core.Rng(7);
const networks = [
  [64, 16, 10],
  [784, 100, 10],
  [784, 512, 10],
];
const shardSizes = [25, 250];
const cases = [];
for (const layers of networks) {
  const spec = core.validateModelSpec({ layers, hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' });
  const P = core.parameterCount(layers);
  const params = Float32Array.from({ length: P }, () => rng.uniform(-0.1, 0.1));
  const count = Math.max(...shardSizes);
  const data = {
    features: Float32Array.from({ length: count * layers[0] }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(layers.at(-1))),
    count,
    featureCount: layers[0],
    classCount: layers.at(-1),
  };
  const index = Uint32Array.from({ length: count }, (_, i) => i);
  const workspace = core.createWorkspace(spec, 1024);
  for (const n of shardSizes)
    cases.push({
      layers,
      P,
      spec,
      params,
      data,
      index,
      workspace,
      n,
      grad: new Float32Array(P),
      best: { screenMs: Infinity, gradientMs: Infinity },
    });
}

const timeIt = (iterations, run) => {
  for (let i = 0; i < 5; i++) run();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) run();
  return (performance.now() - started) / iterations;
};

let sink = 0;
for (let r = 0; r < repeat; r++) {
  for (const c of cases) {
    const iterations = Math.max(5, Math.round(2e7 / (c.P * c.n)));
    c.best.gradientMs = Math.min(
      c.best.gradientMs,
      timeIt(iterations, () =>
        core.gradientSum(backend, c.params, c.data, { index: c.index, offset: 0, count: c.n }, c.grad, c.workspace),
      ),
    );
    c.best.screenMs = Math.min(
      c.best.screenMs,
      timeIt(
        Math.max(20, Math.round(2e8 / c.P)),
        () => (sink += screen.summarize({ grad: c.grad, lossSum: 1, count: c.n }).norm),
      ),
    );
  }
}

const results = cases.map((c) => ({
  network: c.layers.join('-'),
  parameters: c.P,
  shardSamples: c.n,
  gradientMs: Number(c.best.gradientMs.toFixed(4)),
  screenMs: Number(c.best.screenMs.toFixed(4)),
  screenNsPerParameter: Number(((c.best.screenMs * 1e6) / c.P).toFixed(2)),
  screenShareOfGradient: Number((c.best.screenMs / c.best.gradientMs).toFixed(4)),
}));
const doc = {
  benchmark: 'bench-screen',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  node: process.version,
  backend: backend.name,
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

const lines = [
  '| network | shard samples | gradient ms | screen ms (ns/parameter) | screen / gradient |',
  '|---|---:|---:|---:|---:|',
];
for (const r of results)
  lines.push(
    `| ${r.network} | ${r.shardSamples} | ${r.gradientMs.toFixed(3)} | ${r.screenMs.toFixed(4)} (${r.screenNsPerParameter}) | ${(100 * r.screenShareOfGradient).toFixed(2)}% |`,
  );
process.stdout.write(
  `${lines.join('\n')}\n\n(${doc.cpu}, ${doc.cores} cores, ${doc.node}, ${backend.name} kernels; best of ${repeat} interleaved rounds; JSON: ${relative(root, outPath)}${sink === 0 ? '' : ''})\n`,
);
