#!/usr/bin/env node
/**
 * Type-checks the tests, which vitest runs without checking types: `tsc -p DIR` (noEmit) for
 * every packages/<pkg>/test/tsconfig.json and for the top-level test/tsconfig.json. A package
 * with a test/ folder but no test/tsconfig.json fails the check, so a new package cannot skip it
 * (copy one of the others). Run after `tsc -b`: tests see the other packages through their built
 * dist types.
 *
 * Usage: node scripts/typecheck-tests.mjs [--root DIR]
 * Exit 0 and "tests type-check ok: N projects"; 1 with tsc's errors or a missing tsconfig.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The test folders to check, and the packages whose test/ folder lacks a tsconfig.json. */
function testProjects(root) {
  const projects = [];
  const missing = [];
  const packagesDir = join(root, 'packages');
  for (const name of existsSync(packagesDir) ? readdirSync(packagesDir).sort() : []) {
    const testDir = join(packagesDir, name, 'test');
    if (!existsSync(testDir)) continue;
    if (existsSync(join(testDir, 'tsconfig.json'))) projects.push(`packages/${name}/test`);
    else missing.push(`packages/${name}/test`);
  }
  if (existsSync(join(root, 'test', 'tsconfig.json'))) projects.push('test');
  else if (existsSync(join(root, 'test'))) missing.push('test');
  return { projects, missing };
}

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (argv[0] === '--root' && argv[1] !== undefined) root = resolve(argv[1]);
  else if (argv.length > 0) {
    process.stderr.write('typecheck-tests: usage: node scripts/typecheck-tests.mjs [--root DIR]\n');
    return 2;
  }
  const { projects, missing } = testProjects(root);
  for (const dir of missing)
    process.stdout.write(
      `${dir}: no tsconfig.json - copy packages/core/test/tsconfig.json there so its tests are type-checked\n`,
    );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  let failed = missing.length;
  for (const dir of projects) {
    const run = spawnSync(process.execPath, [tsc, '-p', dir, '--noEmit', '--pretty', 'false'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (run.status !== 0) failed++;
  }
  if (failed > 0) {
    process.stdout.write(`tests type-check: ${failed} of ${projects.length + missing.length} projects failed\n`);
    return 1;
  }
  process.stdout.write(`tests type-check ok: ${projects.length} projects\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
