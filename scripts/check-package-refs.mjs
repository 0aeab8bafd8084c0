#!/usr/bin/env node
/**
 * Holds package metadata to the package direction of scripts/import-rules.mjs (STYLE §2.2
 * steps 1 and 2; dependency-cruiser checks the imports themselves, step 3):
 *   - every packages/<pkg> is in the PACKAGE_DEPENDENCIES table, and every table entry exists;
 *   - package.json lists no @gradswarm package the table forbids (nor the package itself);
 *   - tsconfig.json "references" lists exactly the allowed @gradswarm packages package.json
 *     depends on at run time, each once, each a package of this repo.
 *
 * Usage: node scripts/check-package-refs.mjs [--root DIR]
 * Exit 0 and "package refs ok: N packages"; 1 with one line per problem, `file: what and why`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEP_FIELDS,
  PACKAGE_DEPENDENCIES,
  packageNames,
  RUNTIME_DEP_FIELDS,
  SCOPE,
  declaredPackages,
} from './import-rules.mjs';

const ts = createRequire(import.meta.url)('typescript');
const TABLE_FILE = 'scripts/import-rules.mjs';

/** tsconfig.json (comments and trailing commas allowed) parsed by TypeScript itself. */
function readTsconfig(path) {
  const { config, error } = ts.parseConfigFileTextToJson(path, readFileSync(path, 'utf8'));
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, ' '));
  return config;
}

/**
 * Checks the packages below `root` against `table`.
 * @returns {{ problems: string[], packages: number }}
 */
export function checkPackageRefs(root, table = PACKAGE_DEPENDENCIES) {
  const problems = [];
  const names = packageNames(root);
  const packagesDir = join(root, 'packages');
  for (const name of Object.keys(table)) {
    if (!names.includes(name))
      problems.push(`${TABLE_FILE}: lists ${name}, but packages/${name}/package.json does not exist`);
  }
  for (const name of names) {
    const dir = join(packagesDir, name);
    const pjFile = `packages/${name}/package.json`;
    const tsFile = `packages/${name}/tsconfig.json`;
    if (!Object.hasOwn(table, name)) {
      problems.push(
        `${pjFile}: packages/${name} is not in the table of ${TABLE_FILE} - add "${name}: [the packages it may import]" following architecture §1`,
      );
      continue;
    }
    const allowed = table[name];
    const direction =
      allowed.length === 0
        ? `${name} imports nothing of ours`
        : `${name} may import only ${allowed.map((n) => SCOPE + n).join(', ')}`;
    let pj;
    try {
      pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch (err) {
      problems.push(`${pjFile}: cannot parse: ${err.message}`);
      continue;
    }
    for (const field of DEP_FIELDS) {
      for (const dep of Object.keys(pj[field] ?? {})) {
        if (!dep.startsWith(SCOPE)) continue;
        const target = dep.slice(SCOPE.length);
        if (target === name) problems.push(`${pjFile}: ${field} lists ${dep}, the package itself`);
        else if (!allowed.includes(target))
          problems.push(
            `${pjFile}: ${field} lists ${dep}, which the direction forbids: ${direction} (architecture §1)`,
          );
      }
    }
    if (!existsSync(join(dir, 'tsconfig.json'))) {
      problems.push(`${tsFile}: missing, so its project references cannot be checked`);
      continue;
    }
    let tsconfig;
    try {
      tsconfig = readTsconfig(join(dir, 'tsconfig.json'));
    } catch (err) {
      problems.push(`${tsFile}: cannot parse: ${err.message}`);
      continue;
    }
    const expected = declaredPackages(root, name, RUNTIME_DEP_FIELDS).filter(
      (d) => d !== name && allowed.includes(d) && names.includes(d),
    );
    const refs = new Set();
    for (const ref of Array.isArray(tsconfig.references) ? tsconfig.references : []) {
      const target = resolve(dir, String(ref?.path ?? ''));
      const refName = dirname(target) === packagesDir ? relative(packagesDir, target).split(sep)[0] : null;
      if (refName === null || !names.includes(refName))
        problems.push(`${tsFile}: references ${JSON.stringify(ref?.path)}, which is not a package of this repo`);
      else if (refs.has(refName)) problems.push(`${tsFile}: references ../${refName} twice`);
      else refs.add(refName);
    }
    for (const d of expected) {
      if (!refs.has(d))
        problems.push(
          `${tsFile}: "references" lacks ../${d}, but package.json depends on ${SCOPE}${d} - the references must list exactly the allowed @gradswarm dependencies (STYLE §2.2)`,
        );
    }
    for (const r of refs) {
      if (expected.includes(r)) continue;
      const why = allowed.includes(r)
        ? `package.json does not depend on ${SCOPE}${r}`
        : `the direction forbids it: ${direction}`;
      problems.push(`${tsFile}: "references" lists ../${r}, but ${why}`);
    }
  }
  return { problems, packages: names.length };
}

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (argv[0] === '--root' && argv[1] !== undefined) root = resolve(argv[1]);
  else if (argv.length > 0) {
    process.stderr.write('check-package-refs: usage: node scripts/check-package-refs.mjs [--root DIR]\n');
    return 2;
  }
  const { problems, packages } = checkPackageRefs(root);
  for (const p of problems) process.stdout.write(`${p}\n`);
  if (problems.length > 0) {
    process.stdout.write(
      `package refs: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${packages} packages\n`,
    );
    return 1;
  }
  process.stdout.write(`package refs ok: ${packages} packages\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
