#!/usr/bin/env node
// What authenticating one chain chunk costs, per MAC and per path: HMAC-SHA256 (the session
// messages' MAC, node:crypto) against GMAC (the chain chunks' MAC, protocol/src/chunk-mac.ts), each
// through the synchronous node:crypto path the worker uses and through Web Crypto (the browser's
// path), on a 64 KiB chunk (DEFAULT_CHAIN_CHUNK_FLOATS) and on a whole 784-512-10 gradient. A worker
// on the chain signs and checks about four times its gradient's bytes per step, on a fraction of a
// core: these figures are what docs/architecture.md §8 cites. Best of --repeat interleaved rounds.
//
//   node scripts/bench-mac.mjs [--repeat 7] [--out bench-results/bench-mac.json]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, loadCore, root } from './bench-common.mjs';

const core = await loadCore();
const protocol = await import(pathToFileURL(join(root, 'packages/protocol/dist/index.js')).href);

const repeat = Number(arg('repeat', '7'));
const outPath = arg('out', join(root, 'bench-results/bench-mac.json'));

const modelFloats = core.parameterCount([784, 512, 10]);
const sizes = [
  { name: '64 KiB chunk', bytes: 4 * (1 << 14) },
  { name: `784-512-10 gradient (${((4 * modelFloats) / 1e6).toFixed(2)} MB)`, bytes: 4 * modelFloats },
];
const key = await protocol.sessionKey(globalThis.crypto.getRandomValues(new Uint8Array(32)));
const syncHmac = protocol.useSyncHmac(null);
const syncGmac = protocol.useSyncGmac(null);
protocol.useSyncHmac(syncHmac);
protocol.useSyncGmac(syncGmac);

/** One MAC path: installs its synchronous implementation (or none) and MACs `body` once. */
const paths = [
  { name: 'HMAC-SHA256 node:crypto', mac: (b) => withHmac(syncHmac, () => protocol.macOf(key, [b])) },
  { name: 'HMAC-SHA256 Web Crypto', mac: (b) => withHmac(null, () => protocol.macOf(key, [b])) },
  { name: 'GMAC node:crypto', mac: (b) => withGmac(syncGmac, () => protocol.chunkMacOf(key, 1, b)) },
  { name: 'GMAC Web Crypto', mac: (b) => withGmac(null, () => protocol.chunkMacOf(key, 1, b)) },
];

function withHmac(fn, run) {
  protocol.useSyncHmac(fn);
  return run();
}
function withGmac(fn, run) {
  protocol.useSyncGmac(fn);
  return run();
}

/** Mean milliseconds of one MAC of `body` over enough iterations to last about 50 ms. */
async function timeOne(path, body) {
  await path.mac(body);
  let iterations = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await path.mac(body);
    const ms = performance.now() - t0;
    if (ms > 50 || iterations >= 1 << 16) return ms / iterations;
    iterations *= 2;
  }
}

const best = new Map();
for (let round = 0; round < repeat; round++) {
  for (const size of sizes) {
    const body = randomBytes(size.bytes);
    for (const path of paths) {
      const id = `${size.name}|${path.name}`;
      const ms = await timeOne(path, body);
      best.set(id, Math.min(best.get(id) ?? Number.POSITIVE_INFINITY, ms));
    }
  }
}
protocol.useSyncHmac(syncHmac);
protocol.useSyncGmac(syncGmac);

const results = sizes.flatMap((size) =>
  paths.map((path) => {
    const ms = best.get(`${size.name}|${path.name}`);
    return {
      size: size.name,
      bytes: size.bytes,
      mac: path.name,
      ms: Number(ms.toFixed(4)),
      gbPerS: size.bytes / ms / 1e6,
    };
  }),
);
const doc = {
  benchmark: 'bench-mac',
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  node: process.version,
  aesNi: /\baes\b/.test(cpuFlags()),
  repeat,
  results,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);

/** /proc/cpuinfo's text where there is one: whether the CPU has AES-NI decides GMAC's cost. */
function cpuFlags() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

const lines = [
  `| bytes | ${paths.map((p) => `${p.name} ms (GB/s)`).join(' | ')} |`,
  `|---|${paths.map(() => '---:').join('|')}|`,
];
for (const size of sizes) {
  const cells = paths.map((p) => {
    const r = results.find((x) => x.size === size.name && x.mac === p.name);
    return `${r.ms.toFixed(3)} (${r.gbPerS.toFixed(2)})`;
  });
  lines.push(`| ${size.name} | ${cells.join(' | ')} |`);
}
process.stdout.write(
  `${lines.join('\n')}\n\n(${doc.cpu}, ${doc.cores} cores, ${doc.node}, AES-NI ${doc.aesNi ? 'yes' : 'no'}; best of ${repeat} interleaved rounds; JSON: ${relative(root, outPath)})\n`,
);
