/**
 * The import rules of the monorepo (STYLE §2.2, architecture §1), as a dependency-cruiser
 * configuration: `.dependency-cruiser.mjs` at the root is `importRules()` of this file, and
 * `npm run lint:imports` runs `depcruise` with it. The package direction lives in one table,
 * PACKAGE_DEPENDENCIES; scripts/check-package-refs.mjs holds package.json and tsconfig.json to
 * the same table.
 *
 * Imports of another package resolve, as in Node, to its built dist/, so run `tsc -b` first
 * (`npm run lint` does).
 *
 * To add a package: add one entry `name: [the @gradswarm packages it may import]` below, and
 * give the package a package.json and tsconfig.json that declare exactly those it uses (and a
 * test/tsconfig.json, for scripts/typecheck-tests.mjs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which @gradswarm packages each package may import (architecture §1: core ← data, protocol ← worker
 * ← coordinator ← cli). A package missing here fails scripts/check-package-refs.mjs.
 */
export const PACKAGE_DEPENDENCIES = Object.freeze({
  core: [],
  data: ['core'],
  protocol: ['core'],
  worker: ['core', 'data', 'protocol'],
  // browser: a tab as a worker (the /join page); the cli serves its bundle.
  browser: ['core', 'data', 'protocol', 'worker'],
  coordinator: ['core', 'data', 'protocol', 'worker'],
  // report renders the coordinator's documents (type-only imports: it stays browser-safe).
  report: ['core', 'coordinator'],
  // bench's synthetic-client test runs a real WorkerClient beside its synthetic one.
  bench: ['core', 'data', 'protocol', 'worker', 'coordinator', 'report'],
  cli: ['core', 'data', 'protocol', 'worker', 'coordinator', 'report', 'bench', 'browser'],
});

export const SCOPE = '@gradswarm/';
/** package.json fields whose packages a src file may use at run time. */
export const RUNTIME_DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
/** Every package.json dependency field (tests may also use devDependencies). */
export const DEP_FIELDS = ['devDependencies', ...RUNTIME_DEP_FIELDS];

/** A regex alternative of package names, or one that matches nothing. */
const oneOf = (names) => (names.length === 0 ? '(?!)' : `(${names.join('|')})`);

/** The @gradswarm packages `packages/<name>/package.json` declares in `fields` (none if absent). */
export function declaredPackages(root, name, fields) {
  const path = join(root, 'packages', name, 'package.json');
  if (!existsSync(path)) return [];
  const pj = JSON.parse(readFileSync(path, 'utf8'));
  const deps = fields.flatMap((field) => Object.keys(pj[field] ?? {}));
  return [...new Set(deps.filter((d) => d.startsWith(SCOPE)).map((d) => d.slice(SCOPE.length)))].sort();
}

/** Rules that follow from the table and each package's package.json. */
function packageRules(root, table) {
  const names = Object.keys(table);
  const rules = [];
  for (const [name, allowed] of Object.entries(table)) {
    const forbidden = names.filter((other) => other !== name && !allowed.includes(other));
    rules.push({
      name: 'package-direction',
      comment: `${name} ${allowed.length === 0 ? 'imports no package of ours' : `may import only ${allowed.map((a) => SCOPE + a).join(', ')}`} (architecture §1: core <- data, protocol <- worker <- coordinator <- cli; the table is scripts/import-rules.mjs)`,
      severity: 'error',
      from: { path: `^packages/${name}/` },
      to: { path: `^packages/${oneOf(forbidden)}/` },
    });
    const runtime = declaredPackages(root, name, RUNTIME_DEP_FIELDS);
    const all = declaredPackages(root, name, DEP_FIELDS);
    const undeclared = (declared) => allowed.filter((a) => !declared.includes(a));
    rules.push({
      name: 'undeclared-package',
      comment: `packages/${name}/package.json does not list this package in "dependencies", so the import resolves only through npm hoisting (STYLE §2.2 step 1) - add "${SCOPE}<name>": "*"`,
      severity: 'error',
      from: { path: `^packages/${name}/src/` },
      to: { path: `^packages/${oneOf(undeclared(runtime))}/` },
    });
    rules.push({
      name: 'undeclared-package',
      comment: `packages/${name}/package.json lists this package in no dependency field (devDependencies would do for a test) - add "${SCOPE}<name>": "*"`,
      severity: 'error',
      from: { path: `^packages/${name}/`, pathNot: `^packages/${name}/src/` },
      to: { path: `^packages/${oneOf(undeclared(all))}/` },
    });
  }
  return rules;
}

/** Rules that hold for every package alike. */
const GENERAL_RULES = [
  {
    name: 'no-circular',
    comment:
      'an import cycle inside a package (type-only imports count: a type cycle is still a layering cycle; move shared types to types.ts) - a low-level file must not import a high-level one (STYLE §2.2)',
    severity: 'error',
    from: { path: '^packages/[^/]+/src/' },
    to: { circular: true },
  },
  {
    name: 'no-relative-import-across-packages',
    comment:
      "a relative import that leaves its package - import the other package by name ('@gradswarm/<name>'), through its exports",
    severity: 'error',
    from: { path: '^(packages/[^/]+/)' },
    // A workspace package imported by name can also count as 'local' (then it is 'aliased-workspace' too).
    to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased-workspace'], pathNot: '^$1' },
  },
  {
    name: 'no-deep-import',
    comment:
      "an import of another package's files rather than its exports (its src/index.ts is the public surface) - import '@gradswarm/<name>', or add the subpath to that package's \"exports\" if consumers truly need it",
    severity: 'error',
    from: { path: '^(packages/[^/]+/|test/)' },
    to: { path: '^packages/[^/]+/', pathNot: ['^$1', '^packages/[^/]+/dist/', '^packages/[^/]+/package\\.json$'] },
  },
  {
    name: 'src-stays-in-src',
    comment:
      "a src file imports outside its package's src/: a test or fixture, or its own package by name (through dist/index, a cycle) - use a relative import inside src/ (tsc's rootDir is src)",
    severity: 'error',
    from: { path: '^(packages/[^/]+/)src/' },
    // A package's own `#platform`-style subpath import (package.json "imports") resolves, as in
    // Node, to its built dist/ file for the node condition; that is the one way into dist/ allowed.
    to: { path: '^$1', pathNot: '^$1src/', dependencyTypesNot: ['aliased-subpath-import'] },
  },
  {
    name: 'not-to-unresolvable',
    comment:
      'an import that does not resolve: a typo, a missing build (run tsc -b), or a subpath the package\'s "exports" map does not export (deep imports into internals are blocked there)',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
];

/**
 * The dependency-cruiser configuration for the tree at `root` (a path or file URL).
 * @param table which packages each package may import [PACKAGE_DEPENDENCIES]
 */
export function importRules(root, table = PACKAGE_DEPENDENCIES) {
  const rootPath = root instanceof URL ? fileURLToPath(root) : root;
  return {
    forbidden: [...GENERAL_RULES, ...packageRules(rootPath, table)],
    options: {
      // Type-only imports are edges too (a type cycle is a layering cycle).
      tsPreCompilationDeps: true,
      // Another package resolves as Node resolves it (node_modules, its "exports" with Node's
      // conditions) to its dist/: stop there.
      doNotFollow: { path: ['(^|/)node_modules/', '^packages/[^/]+/dist/'] },
      combinedDependencies: false,
      enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['node', 'import', 'default'] },
    },
  };
}

/** The package folders below `root` (those with a package.json). */
export function packageNames(root) {
  const dir = join(root, 'packages');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => existsSync(join(dir, n, 'package.json')))
        .sort()
    : [];
}
