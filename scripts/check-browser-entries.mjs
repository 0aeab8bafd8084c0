#!/usr/bin/env node
/**
 * Browser-safety check (issue 10, "runtime-neutral packages"): bundles each browser-safe entry
 * with esbuild for `platform: 'browser'` (the `browser` and `default` export conditions, never
 * `node`), so an import of a Node built-in anywhere in an entry's graph, direct or transitive,
 * fails the bundle with the importing file named. The entries are the built packages
 * (packages/<pkg>/dist), as a bundler sees them: run `tsc -b` first (`npm run lint` does).
 *
 * PENDING lists Node built-ins an entry may still import until the change that removes them
 * lands; an exception that is no longer used fails the check too, so it is removed with it.
 *
 * Usage: node scripts/check-browser-entries.mjs [--root DIR]
 * Exit 0 and "browser entries ok: …"; exit 1 with one block per failing entry; 2 on bad usage.
 */
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The entries a browser may import (packages' main entries; the `/node` and `/native` subpaths are Node's). */
export const BROWSER_ENTRIES = Object.freeze([
  '@gradswarm/core',
  '@gradswarm/data',
  '@gradswarm/protocol',
  '@gradswarm/worker',
  '@gradswarm/report',
  '@gradswarm/browser',
]);

/** Built-ins an entry may import for now, and why. */
export const PENDING = Object.freeze({});

/**
 * Bundles `entry` for the browser. Resolves with the problems found (empty when it is browser-safe).
 * @param root the repository root (where node_modules/@gradswarm links the packages)
 */
export async function checkEntry(root, entry) {
  const pending = PENDING[entry]?.modules ?? [];
  let result;
  try {
    result = await build({
      stdin: { contents: `export * from '${entry}';\n`, resolveDir: root, sourcefile: `<${entry}>` },
      absWorkingDir: root,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: pending,
    });
  } catch (err) {
    const lines = (err.errors ?? [{ text: err.message }]).map((e) =>
      e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text,
    );
    return [...new Set(lines)];
  }
  const used = new Set();
  for (const input of Object.values(result.metafile.inputs))
    for (const imp of input.imports) if (imp.external) used.add(imp.path);
  return pending
    .filter((m) => !used.has(m))
    .map(
      (m) =>
        `PENDING allows ${m}, which ${entry} no longer imports - help: remove it from PENDING in scripts/check-browser-entries.mjs`,
    );
}

async function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = resolve(argv[++i]);
    else {
      process.stderr.write(`unknown argument ${argv[i]} - help: node scripts/check-browser-entries.mjs [--root DIR]\n`);
      return 2;
    }
  }
  let failed = 0;
  for (const entry of BROWSER_ENTRIES) {
    const problems = await checkEntry(root, entry);
    if (problems.length === 0) continue;
    failed++;
    process.stderr.write(
      `${entry} is not browser-safe (esbuild, platform browser):\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
  }
  if (failed > 0) {
    process.stderr.write(
      `- help: move Node-only code behind a Node subpath (@gradswarm/<pkg>/node) or a "#…" import with a node condition (docs in packages/core/src/backends/platform.ts)\n`,
    );
    return 1;
  }
  const notes = Object.entries(PENDING).map(([e, p]) => `${e} may import ${p.modules.join(', ')} (${p.why})`);
  process.stdout.write(
    `browser entries ok: ${BROWSER_ENTRIES.join(', ')}${notes.length ? `; pending: ${notes.join('; ')}` : ''}\n`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
