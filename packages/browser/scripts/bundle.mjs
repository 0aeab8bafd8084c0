#!/usr/bin/env node
/**
 * Bundles the join page's two scripts for the browser with esbuild (platform browser, so the
 * packages resolve without the `node` condition and no Node built-in can slip in): src/join-main.ts
 * into dist/bundle/app.js and src/lane-worker.ts (one Web Worker) into dist/bundle/lane.js. The
 * coordinator serves them at /join/app.js and /join/lane.js. Run by `npm run build`.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = { app: 'src/join-main.ts', lane: 'src/lane-worker.ts' };
for (const [name, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [join(pkg, entry)],
    absWorkingDir: pkg,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    outfile: join(pkg, 'dist', 'bundle', `${name}.js`),
    logLevel: 'warning',
  });
}
