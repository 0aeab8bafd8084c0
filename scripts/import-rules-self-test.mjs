#!/usr/bin/env node
/**
 * Self-test of the import rules (scripts/import-rules.mjs, run by dependency-cruiser) and of
 * scripts/check-package-refs.mjs, so a rule that silently matches nothing cannot pass for ever.
 * Builds a tiny fake gradswarm tree in os.tmpdir() (every package of the table, with a stub
 * dist/, node_modules/@gradswarm links and the real rules):
 *   1. clean: allowed imports, a type-only import, an exported subpath, a `#platform` import,
 *      tests importing their own package by name - depcruise and the refs check must report
 *      nothing;
 *   2. with one planted violation per rule - each must be reported, and nothing else.
 * Exit 0 and "import rules self-test ok"; 1 listing the differences (the tree is kept and its
 * path printed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPackageRefs } from './check-package-refs.mjs';
import { PACKAGE_DEPENDENCIES, SCOPE } from './import-rules.mjs';

// The package's "exports" hide its bin and package.json; it is a root devDependency, so look there.
const DEPCRUISE = fileURLToPath(
  new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url),
);
const RULES_URL = new URL('./import-rules.mjs', import.meta.url).href;

/** Runs depcruise in `root`; the violations as sorted 'rule: from -> to' lines. */
function cruise(root, names) {
  const dirs = [...names.flatMap((n) => [`packages/${n}/src`, `packages/${n}/test`]), 'test'];
  const run = spawnSync(process.execPath, [DEPCRUISE, ...dirs, '--output-type', 'json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0 && run.stdout === '') throw new Error(`depcruise failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout);
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

function main() {
  const root = mkdtempSync(join(tmpdir(), 'gradswarm-import-rules-'));
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const names = Object.keys(PACKAGE_DEPENDENCIES);
  const makePackage = (name, deps, refs) => {
    const exports = {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './internal/*': null,
      './package.json': './package.json',
    };
    if (name === 'worker') exports['./task'] = './dist/task.js';
    const dependencies = Object.fromEntries(deps.map((d) => [SCOPE + d, '*']));
    // core picks a platform file through package.json "imports", as the real core does.
    const imports =
      name === 'core'
        ? { '#platform': { node: './dist/platform-node.js', default: './dist/platform-portable.js' } }
        : undefined;
    write(
      `packages/${name}/package.json`,
      `${JSON.stringify({ name: SCOPE + name, type: 'module', exports, imports, dependencies }, null, 2)}\n`,
    );
    write(
      `packages/${name}/tsconfig.json`,
      `{\n  // project references\n  "references": [${refs.map((r) => `\n    { "path": "../${r}" },`).join('')}\n  ],\n}\n`,
    );
  };
  const failures = [];
  const compare = (label, got, want) => {
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    if (missing.length > 0 || extra.length > 0) {
      failures.push(
        `${label}:\n${missing.map((m) => `  not reported: ${m}`).join('\n')}${missing.length > 0 && extra.length > 0 ? '\n' : ''}${extra.map((e) => `  reported, not planted: ${e}`).join('\n')}`,
      );
    }
  };
  try {
    write(
      '.dependency-cruiser.mjs',
      `import { importRules } from ${JSON.stringify(RULES_URL)};\nexport default importRules(new URL('.', import.meta.url));\n`,
    );
    mkdirSync(join(root, 'node_modules', '@gradswarm'), { recursive: true });
    for (const [name, deps] of Object.entries(PACKAGE_DEPENDENCIES)) {
      makePackage(name, deps, deps);
      symlinkSync(join('..', '..', 'packages', name), join(root, 'node_modules', '@gradswarm', name), 'dir');
      write(`packages/${name}/dist/index.js`, 'export const X = 1;\n');
      write(`packages/${name}/src/index.ts`, "export * from './constants.js';\nexport type { T } from './types.js';\n");
      write(`packages/${name}/src/constants.ts`, "import type { T } from './types.js';\nexport const X: T = 1;\n");
      write(`packages/${name}/src/types.ts`, 'export type T = number;\n');
      write(
        `packages/${name}/test/index.test.ts`,
        `import { X } from '${SCOPE}${name}';\nimport { X as Y } from '../src/constants.js';\nexport const Z = X + Y;\n`,
      );
    }
    write('packages/worker/dist/task.js', 'export default 1;\n');
    write('packages/core/dist/platform-node.js', 'export const P = 1;\n');
    write('packages/core/src/platform-node.ts', 'export const P = 1;\n');
    write('packages/core/src/kernels.ts', "import { P } from '#platform';\nexport const K = P;\n");
    write(
      'packages/coordinator/src/uses.ts',
      [
        "import { X } from '@gradswarm/core';",
        "import type { X as W } from '@gradswarm/worker';",
        "import task from '@gradswarm/worker/task';",
        "export const load = () => import('@gradswarm/protocol');",
        'export const y: typeof W = X + task;',
        '',
      ].join('\n'),
    );
    write(
      'test/cross.integration.test.ts',
      "import { X } from '@gradswarm/cli';\nimport { X as C } from '@gradswarm/core';\nexport const Z = X + C;\n",
    );

    compare('clean tree, depcruise', cruise(root, names), []);
    compare('clean tree, package refs', checkPackageRefs(root).problems, []);

    // One planted violation per rule.
    write('packages/core/src/up.ts', "import { X } from '@gradswarm/cli';\nexport const U = X;\n");
    write('packages/protocol/test/up.test.ts', "import { X } from '@gradswarm/worker';\nexport const U = X;\n");
    write('packages/data/src/a.ts', "import type { B } from './b.js';\nexport type A = B[];\n");
    write('packages/data/src/b.ts', "import type { A } from './a.js';\nexport type B = A | number;\n");
    write(
      'packages/coordinator/src/reach.ts',
      "import { X } from '../../worker/src/constants.js';\nexport const R = X;\n",
    );
    write(
      'test/deep.integration.test.ts',
      "import { X } from '../packages/worker/src/constants.js';\nexport const D = X;\n",
    );
    write(
      'packages/cli/src/internal.ts',
      "import { X } from '@gradswarm/core/internal/secret';\nexport const I = X;\n",
    );
    write(
      'packages/protocol/src/self.ts',
      "import { X } from '@gradswarm/protocol';\nimport { Z } from '../test/index.test.js';\nexport const S = X + Z;\n",
    );
    makePackage('worker', ['core', 'protocol'], ['core', 'protocol']); // drops data, which data-use.ts imports
    write('packages/worker/src/data-use.ts', "import { X } from '@gradswarm/data';\nexport const D = X;\n");
    compare(
      'planted tree, depcruise',
      cruise(root, names),
      [
        'no-circular: packages/data/src/a.ts -> packages/data/src/b.ts',
        'no-deep-import: packages/coordinator/src/reach.ts -> packages/worker/src/constants.ts',
        'no-deep-import: test/deep.integration.test.ts -> packages/worker/src/constants.ts',
        'no-relative-import-across-packages: packages/coordinator/src/reach.ts -> packages/worker/src/constants.ts',
        'not-to-unresolvable: packages/cli/src/internal.ts -> @gradswarm/core/internal/secret',
        'package-direction: packages/core/src/up.ts -> packages/cli/dist/index.js',
        'package-direction: packages/protocol/test/up.test.ts -> packages/worker/dist/index.js',
        'src-stays-in-src: packages/protocol/src/self.ts -> packages/protocol/dist/index.js',
        'src-stays-in-src: packages/protocol/src/self.ts -> packages/protocol/test/index.test.ts',
        'undeclared-package: packages/worker/src/data-use.ts -> packages/data/dist/index.js',
      ].sort(),
    );

    makePackage('data', ['core', 'cli'], ['core']);
    makePackage('protocol', ['core'], ['core', 'data']);
    makePackage('worker', ['core', 'data', 'protocol'], ['core', 'protocol', 'protocol']);
    write('packages/extra/package.json', '{ "name": "@gradswarm/extra" }\n');
    compare('planted tree, package refs', checkPackageRefs(root).problems, [
      'packages/data/package.json: dependencies lists @gradswarm/cli, which the direction forbids: data may import only @gradswarm/core (architecture §1)',
      'packages/extra/package.json: packages/extra is not in the table of scripts/import-rules.mjs - add "extra: [the packages it may import]" following architecture §1',
      'packages/protocol/tsconfig.json: "references" lists ../data, but the direction forbids it: protocol may import only @gradswarm/core',
      'packages/worker/tsconfig.json: references ../protocol twice',
      'packages/worker/tsconfig.json: "references" lacks ../data, but package.json depends on @gradswarm/data - the references must list exactly the allowed @gradswarm dependencies (STYLE §2.2)',
    ]);
  } catch (err) {
    failures.push(`self-test crashed: ${err.stack}`);
  }
  if (failures.length > 0) {
    process.stdout.write(`import rules self-test FAILED (tree kept at ${root}):\n${failures.join('\n')}\n`);
    return 1;
  }
  rmSync(root, { recursive: true, force: true });
  process.stdout.write('import rules self-test ok: every planted violation reported, the clean tree passes\n');
  return 0;
}

process.exitCode = main();
