#!/usr/bin/env node
/**
 * Self-test of scripts/check-boundaries.mjs (run it as `node scripts/check-boundaries.mjs
 * --self-test`, or this file directly). Builds a tiny fake gradswarm tree in os.tmpdir():
 *   1. a clean tree whose sources hide import look-alikes in comments, strings, templates and
 *      regex literals, plus a multi-line import, `import type`, a JSON import, `import.meta`,
 *      a re-export and a template-literal dynamic import - it must pass, with exactly the
 *      imports the lexer should see;
 *   2. the same tree with violations of every kind [a]-[f] planted - each must be reported at
 *      its file and line, and nothing else.
 * The temporary tree is removed on success and kept (its path printed) on failure.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOWED, checkBoundaries, findImports } from './check-boundaries.mjs';

const SCOPE = '@gradswarm/';

/** Builds the fake tree, checks it clean, plants the violations and compares; resolves the exit code. */
export function selfTest() {
  const root = mkdtempSync(join(tmpdir(), 'gradswarm-boundaries-'));
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const exportsMap = { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './internal/*': null, './package.json': './package.json' };
  const makePackage = (name, deps, refs, extraExports = {}) => {
    const dependencies = Object.fromEntries(deps.map((d) => [SCOPE + d, '*']));
    write(`packages/${name}/package.json`, `${JSON.stringify({ name: SCOPE + name, type: 'module', exports: { ...exportsMap, ...extraExports }, dependencies }, null, 2)}\n`);
    write(`packages/${name}/tsconfig.json`, `{\n  // project references\n  "extends": "../../tsconfig.base.json",\n  "references": [${refs.map((r) => `\n    { "path": "../${r}" },`).join('')}\n  ]\n}\n`);
    write(`packages/${name}/src/index.ts`, "export * from './constants.js';\n");
    write(`packages/${name}/src/constants.ts`, 'export const X = 1;\n');
  };
  const run = () => checkBoundaries(root);
  const failures = [];
  try {
    for (const [name, deps] of Object.entries(ALLOWED)) makePackage(name, deps, deps, name === 'worker' ? { './task': './dist/task.js' } : {});
    // Tricky but clean sources: the lexer must find these and nothing in comments, strings, regexes.
    write('packages/coordinator/src/clean.ts', [
      "// import { a } from '@gradswarm/cli';",
      "/* import '../../cli/src/x.js'; */",
      "const s = \"import x from '@gradswarm/cli'\";",
      "const t = `export * from '@gradswarm/cli' ${s} import('@gradswarm/cli')`;",
      "const re = /'(import)\\/[\"]/g;",
      'import {',
      '  X,',
      "} from '@gradswarm/core';",
      "import type { T } from '@gradswarm/worker/task';",
      "import pj from '@gradswarm/data/package.json' with { type: 'json' };",
      "export type { U } from './constants.js';",
      'const url = import.meta.url;',
      "export const load = () => import(`@gradswarm/protocol`);",
      '',
    ].join('\n'));
    write('packages/data/test/fixtures/ok.ts', "import { X } from '@gradswarm/data';\nimport { Y } from '../../src/constants.js';\n");
    write('test/cross.integration.test.ts', "import { main } from '@gradswarm/cli';\n");
    const clean = run();
    if (clean.violations.length > 0) failures.push(`clean tree reported:\n${clean.violations.map((v) => `  ${v.file}:${v.line}: ${v.message}`).join('\n')}`);
    const cleanImports = Object.keys(ALLOWED).length + 8; // one per index.ts, eight in clean.ts
    if (clean.imports !== cleanImports) failures.push(`clean tree: expected ${cleanImports} imports, found ${clean.imports}`);
    const found = findImports(readFileSync(join(root, 'packages/coordinator/src/clean.ts'), 'utf8')).map((m) => `${m.line}:${m.kind}:${m.typeOnly ? 'type:' : ''}${m.spec}`);
    const want = ['6:static:@gradswarm/core', '9:static:type:@gradswarm/worker/task', '10:static:@gradswarm/data/package.json', '11:static:type:./constants.js', '13:dynamic:@gradswarm/protocol'];
    if (found.join(' ') !== want.join(' ')) failures.push(`lexer: expected ${want.join(' ')}\n    found ${found.join(' ')}`);

    const expected = [];
    const expect = (rule, file, line, fragment) => expected.push({ rule, file, line, fragment });
    // [a] forbidden directions (static, dynamic, re-export, own package by name, unknown package)
    write('packages/core/src/bad.ts', "import { Y } from '@gradswarm/data';\n");
    expect('a', 'packages/core/src/bad.ts', 1, "'@gradswarm/data' crosses the package direction");
    write('packages/worker/src/lazy.ts', "export async function f() {\n  return await import('@gradswarm/coordinator');\n}\n");
    expect('a', 'packages/worker/src/lazy.ts', 2, 'dynamic import');
    write('packages/protocol/src/reexport.ts', "export * from '@gradswarm/worker';\n");
    expect('a', 'packages/protocol/src/reexport.ts', 1, 'crosses the package direction');
    write('packages/data/src/self.ts', "import { X } from '@gradswarm/data';\n");
    expect('a', 'packages/data/src/self.ts', 1, 'imports its own package by name');
    write('packages/cli/src/ghost.ts', "import '@gradswarm/ghost';\n");
    expect('a', 'packages/cli/src/ghost.ts', 1, 'no package @gradswarm/ghost');
    // [b] deep imports: into src, into a null-blocked subpath, from the top-level test/
    write('packages/worker/src/deep.ts', "import { Y } from '@gradswarm/core/src/mlp.js';\nimport { Z } from '@gradswarm/core/internal/mlp.js';\n");
    expect('b', 'packages/worker/src/deep.ts', 1, "does not export './src/mlp.js'");
    expect('b', 'packages/worker/src/deep.ts', 2, "does not export './internal/mlp.js'");
    write('test/deep.integration.test.ts', "import { x } from '@gradswarm/cli/dist/main.js';\n");
    expect('b', 'test/deep.integration.test.ts', 1, 'deep import');
    // [c] relative imports out of the package, and out of src
    write('packages/data/src/escape.ts', "import { mlp } from '../../core/src/mlp.js';\n");
    expect('c', 'packages/data/src/escape.ts', 1, "import '@gradswarm/core' instead");
    write('packages/data/test/escape.test.ts', "\nimport { a } from '../../../test/helpers.js';\n");
    expect('c', 'packages/data/test/escape.test.ts', 2, 'leaves packages/data');
    write('packages/data/src/uses-test.ts', "import { a } from '../test/fixtures/ok.js';\n");
    expect('c', 'packages/data/src/uses-test.ts', 1, 'leaves packages/data/src');
    // [d] a runtime cycle through a subfolder, and a type-only cycle
    write('packages/protocol/src/a.ts', "import { b } from './sub/b.js';\nexport const a = 1;\n");
    write('packages/protocol/src/sub/b.ts', "import { c } from '../c';\nexport const b = 2;\n");
    write('packages/protocol/src/c.ts', "\n\nimport { a } from './a.js';\nexport const c = 3;\n");
    expect('d', 'packages/protocol/src/a.ts', 1, 'a.ts -> sub/b.ts -> c.ts -> a.ts');
    write('packages/core/src/x.ts', "import type { Y } from './y.js';\nexport interface X { y?: Y }\n");
    write('packages/core/src/y.ts', "import type { X } from './x.js';\nexport interface Y { x?: X }\n");
    expect('d', 'packages/core/src/x.ts', 1, 'type-only imports');
    // [e] a forbidden dependency, a missing and an extra tsconfig reference
    makePackage('data', ['core', 'worker'], ['core']);
    expect('e', 'packages/data/package.json', 14, 'lists @gradswarm/worker, which the direction forbids');
    makePackage('cli', ALLOWED.cli, ALLOWED.cli.filter((p) => p !== 'coordinator'));
    expect('e', 'packages/cli/tsconfig.json', 4, '"references" lacks ../coordinator');
    makePackage('protocol', ['core'], ['core', 'data']);
    expect('e', 'packages/protocol/tsconfig.json', 6, '"references" lists ../data');
    // [f] an allowed import the package.json does not declare
    makePackage('coordinator', ['core', 'data', 'worker'], ['core', 'data', 'worker']);
    write('packages/coordinator/src/proto.ts', "import { PROTOCOL_VERSION } from '@gradswarm/protocol';\n");
    expect('f', 'packages/coordinator/src/proto.ts', 1, 'does not declare @gradswarm/protocol');
    expect('f', 'packages/coordinator/src/clean.ts', 13, 'does not declare @gradswarm/protocol');

    const { violations } = run();
    const unmatched = [...violations];
    for (const e of expected) {
      const k = unmatched.findIndex((v) => v.rule === e.rule && v.file === e.file && v.line === e.line && v.message.includes(e.fragment));
      if (k === -1) failures.push(`[${e.rule}] not reported: ${e.file}:${e.line} (… ${e.fragment} …)`);
      else unmatched.splice(k, 1);
    }
    for (const v of unmatched) failures.push(`[${v.rule}] unexpected: ${v.file}:${v.line}: ${v.message}`);
    if (failures.length > 0) {
      process.stdout.write(`self-test FAILED (tree kept at ${root}):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
      return 1;
    }
    const rules = [...new Set(expected.map((e) => e.rule))].sort().join(', ');
    process.stdout.write(`self-test ok: clean tree (${clean.files} files, ${clean.imports} imports) passes; ${expected.length} planted violations of kinds ${rules} all reported, nothing else\n`);
    rmSync(root, { recursive: true, force: true });
    return 0;
  } catch (err) {
    process.stdout.write(`self-test FAILED with an exception (tree kept at ${root}): ${err.stack}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = selfTest();
}
