#!/usr/bin/env node
// The cost of one hand-off to a pool thread and back, with no work in between: Piscina's
// postMessage round trip (what the local pool used per job before) against the pool's channel
// in shared memory (packages/worker/src/thread-channel.ts: Atomics.notify to the thread,
// Atomics.waitAsync back, or Atomics.wait back as a local run's caller waits), with and without
// the thread's poll for the next job. Median and
// 90th percentile in microseconds over --calls calls, the ways alternating in rounds of 100.
//
//   node scripts/bench-handoff.mjs [--calls 5000] [--spin-us 200]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { arg, root } from './bench-common.mjs';

const calls = Number(arg('calls', '5000'));
const spinMicros = Number(arg('spin-us', '200'));
const channelUrl = pathToFileURL(join(root, 'packages/worker/dist/thread-channel.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'gradswarm-bench-handoff-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const echoFile = join(dir, 'echo.mjs');
writeFileSync(echoFile, 'export default (n) => n + 1;\n');
const serveFile = join(dir, 'serve.mjs');
writeFileSync(
  serveFile,
  `import { serveChannel } from ${JSON.stringify(channelUrl)};\n` +
    'export default (end) => { serveChannel(end, (kind, args) => { args[0] += 1; }); return null; };\n',
);
const { ChannelHost, createMailbox } = await import(channelUrl);

function channel(spin, blocking = false) {
  const piscina = new Piscina({ filename: serveFile, minThreads: 1, maxThreads: 1 });
  const mailbox = createMailbox();
  const { port1, port2 } = new MessageChannel();
  const host = new ChannelHost(mailbox, port1);
  const served = piscina.run({ mailbox, port: port2, spinMicros: spin }, { transferList: [port2] });
  return {
    call: async () => {
      host.args[0] = 1;
      const seq = host.post(1);
      if (!(blocking && host.waitBlocking(seq, 250))) await host.wait(seq);
    },
    close: async () => {
      host.stop();
      await served;
      port1.close();
      await piscina.destroy();
    },
  };
}

function piscinaCall() {
  const piscina = new Piscina({ filename: echoFile, minThreads: 1, maxThreads: 1 });
  return { call: () => piscina.run(1), close: () => piscina.destroy() };
}

const ways = {
  piscina: piscinaCall(),
  channel: channel(0),
  'channel, blocking wait': channel(0, true),
  [`channel, ${spinMicros} µs poll`]: channel(spinMicros),
};
const times = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (const way of Object.values(ways)) for (let i = 0; i < 200; i++) await way.call(); // warm-up
for (let done = 0; done < calls; done += 100) {
  for (const [name, way] of Object.entries(ways)) {
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      await way.call();
      times[name].push((performance.now() - started) * 1000);
    }
  }
}
for (const way of Object.values(ways)) await way.close();
const at = (xs, q) => xs.slice().sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
process.stdout.write('| hand-off | median µs | p90 µs |\n|---|---:|---:|\n');
for (const [name, xs] of Object.entries(times))
  process.stdout.write(`| ${name} | ${at(xs, 0.5).toFixed(1)} | ${at(xs, 0.9).toFixed(1)} |\n`);
