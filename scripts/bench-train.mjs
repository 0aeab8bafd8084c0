#!/usr/bin/env node
// Training throughput of the built `gradswarm train` for 1..N threads: samples/s, speedup over
// one thread and parallel efficiency, per network and batch size. Runs are interleaved
// (1,2,…,N, then again) and the best of --repeat runs is kept, because this machine is shared
// and noisy; compare the ratios, not the absolute numbers. Each run also writes --metrics, from
// which the mean step is broken down (steps of the first epoch left out: JIT, first touches):
// compute (the slowest source), update (shard sums, regularisation, momentum) and the rest
// (hand-off to the pool threads and back, copies, bookkeeping).
//
//   node scripts/bench-train.mjs [--threads 1,2] [--repeat 2] [--epochs 1] [--out bench-results/bench-train.json]
//                                [--configs 784-100-10:100,784-100-10:1000,784-512-10:100,784-512-10:1000]
//                                [--cli path/to/other/packages/cli/bin/gradswarm.js] [--train-args "--pool-update"]
// --cli runs another build (another checkout's CLI; data and output stay this checkout's), to
// compare two versions in alternate runs on a shared machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { arg, cli as ownCli, root } from './bench-common.mjs';

const threadCounts = arg('threads', Array.from({ length: availableParallelism() }, (_, i) => i + 1).join(','))
  .split(',')
  .map(Number);
const cli = arg('cli', ownCli);
// More `train` flags for every run, space-separated.
const trainArgs = arg('train-args', '').split(' ').filter(Boolean);
const repeat = Number(arg('repeat', '2'));
const epochs = arg('epochs', '1');
const outPath = arg('out', join(root, 'bench-results/bench-train.json'));
const configs = arg('configs', '784-100-10:100,784-100-10:1000,784-512-10:100,784-512-10:1000')
  .split(',')
  .map((c) => {
    const [layers, batch] = c.split(':');
    return { layers: layers.replaceAll('-', ','), name: layers, batch: Number(batch) };
  });

const workDir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-train-'));
process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

function runOnce(config, threads) {
  const metricsPath = join(workDir, 'metrics.json');
  const args = [
    cli,
    'train',
    '--dataset',
    'mnist',
    '--layers',
    config.layers,
    '--hidden',
    'sigmoid',
    '--output',
    'sigmoid',
    '--init',
    'glorot',
    '--batch-size',
    String(config.batch),
    '--epochs',
    epochs,
    '--eval-every',
    '0',
    '--threads',
    String(threads),
    '--json',
    '--no-progress',
    '--metrics',
    metricsPath,
    ...trainArgs,
  ];
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const summary = JSON.parse(out.trim().split('\n').pop());
  const metrics = JSON.parse(readFileSync(metricsPath, 'utf8'));
  const firstEpoch = metrics.minibatchEpoch.filter((e) => e === 0).length;
  const steps = metrics.minibatchTiming.slice(firstEpoch < metrics.minibatchTiming.length ? firstEpoch : 0);
  const stepMs = mean(steps.map((t) => t.totalMs));
  const computeMs = mean(steps.map((t) => t.computeMaxMs));
  const updateMs = mean(steps.map((t) => t.reduceUpdateMs));
  return { ...summary, breakdown: { stepMs, computeMs, updateMs, otherMs: stepMs - computeMs - updateMs } };
}

const results = [];
for (const config of configs) {
  const best = new Map();
  for (let r = 0; r < repeat; r++) {
    for (const threads of threadCounts) {
      const s = runOnce(config, threads);
      const prev = best.get(threads);
      if (!prev || s.samplesPerSecond > prev.samplesPerSecond) best.set(threads, s);
      process.stderr.write(
        `${config.name} b${config.batch} ${threads}t run ${r + 1}: ${Math.round(s.samplesPerSecond)} samples/s\n`,
      );
    }
  }
  const base = best.get(threadCounts[0]).samplesPerSecond / threadCounts[0];
  for (const threads of threadCounts) {
    const s = best.get(threads);
    const speedup = s.samplesPerSecond / best.get(threadCounts[0]).samplesPerSecond;
    results.push({
      network: config.name,
      batchSize: config.batch,
      threads,
      samplesPerSecond: Math.round(s.samplesPerSecond),
      speedup: Number(speedup.toFixed(3)),
      efficiency: Number((s.samplesPerSecond / (base * threads)).toFixed(3)),
      postMessageBytesPerStep: Math.round(s.postMessageBytesPerStep),
      stepMs: Object.fromEntries(Object.entries(s.breakdown).map(([k, v]) => [k, Number(v.toFixed(3))])),
      backend: s.backend,
    });
  }
}

const doc = {
  benchmark: 'bench-train',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  node: process.version,
  epochs: Number(epochs),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

const header =
  '| network | batch | threads | samples/s | speedup | efficiency | step ms | compute | update | other | postMessage B/step | backend |';
const lines = [header, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
const ms = (x) => x.toFixed(2);
for (const r of results) {
  const b = r.stepMs;
  lines.push(
    `| ${r.network} | ${r.batchSize} | ${r.threads} | ${r.samplesPerSecond.toLocaleString('en-US')} | ${r.speedup.toFixed(2)}x | ${(r.efficiency * 100).toFixed(0)}% | ${ms(b.stepMs)} | ${ms(b.computeMs)} | ${ms(b.updateMs)} | ${ms(b.otherMs)} | ${r.postMessageBytesPerStep} | ${r.backend} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\n(${doc.cpu}, ${doc.cores} cores, ${doc.node}; best of ${repeat} interleaved runs; JSON: ${relative(root, outPath)})\n`,
);
