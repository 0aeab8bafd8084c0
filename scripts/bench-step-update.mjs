#!/usr/bin/env node
// The coordinator's per-step update (the star reducer's shard sum in order, core's finishGradient,
// one optimizer step) in TypeScript and in every backend's C kernels (sumGradients, finishGradient,
// sgdStep / adamStep), per network, regularisation, number of shard gradients and optimizer. Both
// give the same bits (packages/core/test/update-kernels.test.ts); this measures what each costs
// per step. Best of --repeat interleaved rounds.
//
//   node scripts/bench-step-update.mjs [--repeat 5] [--iterations 200] [--out bench-results/bench-step-update.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { arg, loadCore, root } from './bench-common.mjs';

const core = await loadCore();

const repeat = Number(arg('repeat', '5'));
const iterations = Number(arg('iterations', '200'));
const outPath = arg('out', join(root, 'bench-results/bench-step-update.json'));

const updaters = [
  { name: 'typescript', backend: null },
  ...core
    .availableBackends()
    .map((n) => core.selectBackend(n))
    .filter(
      (b, i, all) =>
        b.sumGradients && b.finishGradient && b.sgdStep && b.adamStep && all.findIndex((x) => x.name === b.name) === i,
    )
    .map((b) => ({ name: b.name, backend: b })),
];
const networks = [
  [784, 100, 10],
  [784, 512, 10],
];
const costs = [
  { name: 'none', options: {} },
  { name: 'l2', options: { l2: 0.01 } },
  { name: 'l1+l2', options: { l1: 0.01, l2: 0.01 } },
];
const partCounts = [1, 2];
const optimizers = [
  { name: 'sgd', momentum: 0.9, nesterov: false, beta1: 0, beta2: 0, eps: 0, weightDecay: 0 },
  { name: 'adamw', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
];

const rng = new core.Rng(7);
const random = (n) => Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5));

const cases = [];
for (const layers of networks) {
  const P = core.parameterCount(layers);
  const params = random(P);
  for (const cost of costs) {
    for (const parts of partCounts) {
      for (const optimizer of optimizers) {
        // Adam's cost does not depend on the regularisation or the parts: one row per network.
        if (optimizer.name !== 'sgd' && (cost.name !== 'l2' || parts !== 1)) continue;
        cases.push({
          layers,
          P,
          params,
          cost,
          optimizer,
          parts: Array.from({ length: parts }, () => random(P)),
          best: new Map(),
        });
      }
    }
  }
}

for (let r = 0; r < repeat; r++) {
  for (const c of cases) {
    for (const u of updaters) {
      const params = c.params.slice();
      const optimizer = core.createOptimizer(c.P, c.optimizer, u.backend);
      const options = core.resolveCostOptions(c.cost.options);
      const grad = new Float32Array(c.P);
      const run = () => {
        core.sumGradients(c.parts, grad, u.backend);
        core.finishGradient(c.layers, params, grad, 1, 1000, options, u.backend);
        optimizer.step(params, grad, 1e-9);
      };
      for (let i = 0; i < 20; i++) run();
      const started = performance.now();
      for (let i = 0; i < iterations; i++) run();
      const ms = (performance.now() - started) / iterations;
      c.best.set(u.name, Math.min(c.best.get(u.name) ?? Infinity, ms));
    }
  }
}

const results = cases.flatMap((c) =>
  updaters.map((u) => ({
    network: c.layers.join('-'),
    parameters: c.P,
    regularisation: c.cost.name,
    shardGradients: c.parts.length,
    optimizer: c.optimizer.name,
    updater: u.name,
    ms: Number(c.best.get(u.name).toFixed(4)),
    nsPerParameter: Number(((c.best.get(u.name) * 1e6) / c.P).toFixed(2)),
  })),
);
const doc = {
  benchmark: 'bench-step-update',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  node: process.version,
  repeat,
  iterations,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

const names = updaters.map((u) => u.name);
const lines = [
  `| network | regularisation | shard gradients | optimizer | ${names.map((n) => `${n} ms (ns/parameter)`).join(' | ')} |`,
  `|---|---|---:|---|${names.map(() => '---:').join('|')}|`,
];
for (const c of cases) {
  const cells = names.map((n) => `${c.best.get(n).toFixed(3)} (${((c.best.get(n) * 1e6) / c.P).toFixed(2)})`);
  lines.push(
    `| ${c.layers.join('-')} | ${c.cost.name} | ${c.parts.length} | ${c.optimizer.name} | ${cells.join(' | ')} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\n(${doc.cpu}, ${doc.cores} cores, ${doc.node}; best of ${repeat} interleaved rounds of ${iterations} updates; JSON: ${relative(root, outPath)})\n`,
);
