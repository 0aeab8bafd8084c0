#!/usr/bin/env node
// Builds wasm/gradswarm_kernels.wasm (the wasm-simd backend) from the shared C sources with clang's
// wasm32-wasi target: -msimd128, a 6×8 micro-tile (-DGS_NR=8), wasi-libc for malloc and libm,
// no imports. The module is committed, so `npm install` needs no WebAssembly toolchain; rerun
// this after changing any of SOURCES (test/wasm.test.ts checks the recorded hash). Needs clang
// (≥ 14) with wasm-ld and a wasi sysroot; on Debian: apt-get install clang lld wasi-libc
// libclang-rt-dev-wasm32 (or the -14 versions).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCES = ['gs.h', 'gs-math.h', 'gemm-driver.h', 'portable.h', 'gemm.c', 'loss.c', 'wasm.c'].map((f) =>
  join('native', 'src', f),
);
export const OUTPUT = join('wasm', 'gradswarm_kernels.wasm');
export const HASH_FILE = join('wasm', 'sources.sha256');

/** SHA-256 over the sources' names and contents, in order. */
export function sourcesHash(root = pkg) {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(`${f}\n`).update(readFileSync(join(root, f)));
  return h.digest('hex');
}

function findClang() {
  for (const c of [
    process.env.CC_WASM,
    'clang',
    'clang-19',
    'clang-18',
    'clang-17',
    'clang-16',
    'clang-15',
    'clang-14',
  ]) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const clang = findClang();
  if (!clang) {
    process.stderr.write('build-wasm: no clang found - help: install clang, lld and wasi-libc (or set CC_WASM)\n');
    process.exit(1);
  }
  const sources = SOURCES.filter((f) => f.endsWith('.c'));
  const args = [
    '--target=wasm32-wasi',
    '-O3',
    '-msimd128',
    '-DGS_NR=8',
    '-std=gnu11',
    '-Wall',
    '-Wno-unused-function',
    '-mexec-model=reactor',
    '-Wl,--no-entry',
    '-Wl,--strip-all',
    '-Inative/src',
    ...sources,
    '-o',
    OUTPUT,
  ];
  const run = spawnSync(clang, args, { cwd: pkg, encoding: 'utf8', stdio: 'inherit' });
  if (run.status !== 0) process.exit(1);
  writeFileSync(join(pkg, HASH_FILE), `${sourcesHash()}\n`);
  process.stdout.write(`build-wasm: wrote ${OUTPUT} (${readFileSync(join(pkg, OUTPUT)).length} bytes) with ${clang}\n`);
}
