#!/usr/bin/env node
// Samples/s of one browser tab with N Web Workers against one `gradswarm worker --kernel wasm
// --threads N`, on this machine (issue 13, "Measured"): each run is a coordinator with no local
// threads and one worker, the tab (headless Chromium, Debian's `chromium`, through
// playwright-core; /join?threads=N) or the Node process, both with the wasm kernels; the rate is
// the coordinator's own (samples / training time, after the worker holds the data set). Runs
// alternate (Node, tab, Node, tab, …); the best of --repeat and the ratio of the medians are
// reported, because this machine is shared and noisy: compare the ratios, not the absolute numbers.
//
//   node scripts/bench-browser.mjs [--threads 1,2] [--repeat 3] [--layers 128] [--batch-size 1000]
//                                  [--epochs 1] [--out bench-results/bench-browser.json]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { chromium } from 'playwright-core';
import { arg, cli, root } from './bench-common.mjs';

const threadCounts = arg('threads', '1,2').split(',').map(Number);
const repeat = Number(arg('repeat', '3'));
const layers = arg('layers', '128');
const batch = arg('batch-size', '1000');
const epochs = arg('epochs', '1');
const outPath = arg('out', join(root, 'bench-results/bench-browser.json'));
const TOKEN = 'bench-browser-token-0123456789abcdefghij';
const CHROMIUM = '/usr/bin/chromium';

/** Starts `gradswarm ...args`; resolves the child and a reader of its stderr. */
function start(args) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
  child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re) => {
    for (;;) {
      const m = err.match(re);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`gradswarm ${args[0]} exited ${child.exitCode}:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, waitFor, stderr: () => err, stdout: () => out };
}

/** One run with one worker of `kind` on `threads` threads; resolves with the coordinator's samples/s. */
async function run(browser, kind, threads) {
  const c = start([
    'coordinator',
    '--port',
    '0',
    '--no-progress',
    '--json',
    '--dataset',
    'mnist',
    '--layers',
    layers,
    '--batch-size',
    batch,
    '--epochs',
    epochs,
    '--kernel',
    'wasm',
    '--local-threads',
    '0',
    '--min-workers',
    '1',
    '--token',
    TOKEN,
  ]);
  const [, url] = await c.waitFor(/coordinator listening on (ws:\/\/\S+)/);
  const [, join] = await c.waitFor(/join from a browser: (\S+)/);
  let worker = null;
  let context = null;
  if (kind === 'node') {
    worker = start([
      'worker',
      '--connect',
      url,
      '--token',
      TOKEN,
      '--kernel',
      'wasm',
      '--threads',
      String(threads),
      '--data-cache',
      'none',
    ]);
  } else {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(join.replace('/join#', `/join?threads=${threads}#`));
  }
  const code = await c.exited;
  if (code !== 0) throw new Error(`the coordinator exited ${code}:\n${c.stderr()}`);
  await worker?.exited;
  await context?.close();
  const summary = JSON.parse(c.stdout().trim().split('\n').at(-1));
  return summary.samplesPerSecond;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const loadBefore = loadavg()[0];
const rows = [];
try {
  for (const threads of threadCounts) {
    const best = { node: 0, browser: 0 };
    const all = { node: [], browser: [] };
    for (let r = 0; r < repeat; r++) {
      for (const kind of ['node', 'browser']) {
        const rate = await run(browser, kind, threads);
        all[kind].push(rate);
        best[kind] = Math.max(best[kind], rate);
      }
    }
    rows.push({
      threads,
      nodeSamplesPerSecond: best.node,
      browserSamplesPerSecond: best.browser,
      ratio: best.browser / best.node,
      medianRatio: median(all.browser) / median(all.node),
      runs: all,
    });
  }
} finally {
  await browser.close();
}
const doc = {
  format: 'gradswarm-bench-browser',
  command: `node scripts/bench-browser.mjs --threads ${threadCounts.join(',')} --repeat ${repeat} --layers ${layers} --batch-size ${batch} --epochs ${epochs}`,
  model: `784-${layers}-10`,
  dataset: 'mnist (embedded)',
  batchSize: Number(batch),
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage1m: { before: loadBefore, after: loadavg()[0] },
  rows,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);
console.log(
  '| threads | Node worker, samples/s (best) | browser tab, samples/s (best) | tab / Node, best | tab / Node, medians |',
);
console.log('|--:|--:|--:|--:|--:|');
for (const r of rows)
  console.log(
    `| ${r.threads} | ${Math.round(r.nodeSamplesPerSecond)} | ${Math.round(r.browserSamplesPerSecond)} | ${r.ratio.toFixed(2)} | ${r.medianRatio.toFixed(2)} |`,
  );
console.log(
  `load average (1 min): ${doc.loadAverage1m.before.toFixed(2)} before, ${doc.loadAverage1m.after.toFixed(2)} after; ${doc.cpu}`,
);
console.log(`written to ${relative(root, outPath)}`);
