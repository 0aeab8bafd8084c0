#!/usr/bin/env node
// Builds the native kernel addon (packages/core/native) with node-gyp. Run by `npm install`
// (this package's "install" script) and by `npm run build:native`. Without a C compiler or
// python the build fails, and then this script prints one warning line and exits 0: the install
// goes on and gradswarm uses its WebAssembly kernels (GRADSWARM_KERNEL=native then says why).
// With --strict a failed build exits 1 (for CI and for developers who want to see it fail).
// --incremental reuses an existing configuration (`node-gyp build`: make recompiles only changed
// sources; the package's `build` script runs this way), --quiet drops the success line.
// GRADSWARM_SKIP_NATIVE_BUILD=1 skips the build.
//
// node-gyp comes from npm itself (npm_config_node_gyp inside npm scripts, else npm's bundled
// copy next to this node). Headers: npm's nodedir setting, else this node's own include/ dir, so
// no download is needed where node came with its headers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(pkg, 'native');
const logFile = join(nativeDir, 'build', 'build-native.log');
// What the tests read: whether the addon should exist here (test/fixtures/fast-backends.ts).
const statusFile = join(nativeDir, 'build', 'build-status.json');
const strict = process.argv.includes('--strict');
const incremental = process.argv.includes('--incremental') && existsSync(join(nativeDir, 'build', 'Makefile'));
const quiet = process.argv.includes('--quiet');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

function headerArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** Whether this machine has the C toolchain node-gyp needs (a compiler, make, python3). */
function haveToolchain() {
  const works = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
  return works(process.env.CC || 'cc') && works('make') && (works('python3') || works('python'));
}

function finish(ok, reason, logged = true) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(
    statusFile,
    `${JSON.stringify({ ok, reason: reason ?? null, toolchain: ok || haveToolchain(), skipped: process.env.GRADSWARM_SKIP_NATIVE_BUILD === '1' })}\n`,
  );
  if (ok) {
    if (!quiet)
      process.stdout.write(
        'gradswarm: native kernels built (packages/core/native/build/Release/gradswarm_kernels.node)\n',
      );
    process.exit(0);
  }
  process.stderr.write(
    `gradswarm: warning: native kernels not built (${reason}); gradswarm falls back to its WebAssembly kernels - help: install a C compiler, make and python3, then run "npm run build:native -w @gradswarm/core"${logged ? ` (log: ${logFile})` : ''}\n`,
  );
  process.exit(strict ? 1 : 0);
}

if (process.env.GRADSWARM_SKIP_NATIVE_BUILD === '1') finish(false, 'GRADSWARM_SKIP_NATIVE_BUILD=1', false);
const gyp = nodeGyp();
if (!gyp) finish(false, 'node-gyp not found', false);
const command = incremental ? ['build', '--release'] : ['rebuild', '--release', ...headerArgs()];
const run = spawnSync(process.execPath, [gyp, ...command], { cwd: nativeDir, encoding: 'utf8', env: process.env });
mkdirSync(dirname(logFile), { recursive: true });
writeFileSync(logFile, `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`);
const built = join(nativeDir, 'build', 'Release', 'gradswarm_kernels.node');
if (run.status === 0 && existsSync(built)) finish(true);
const lastError = `${run.stderr ?? ''}`
  .split('\n')
  .find((l) => /error|not found|ENOENT/i.test(l))
  ?.trim();
finish(false, lastError ? lastError.slice(0, 160) : `node-gyp exited with ${run.status ?? run.signal}`);
