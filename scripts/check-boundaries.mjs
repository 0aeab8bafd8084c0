#!/usr/bin/env node
/**
 * Module-boundary check (STYLE §2.2, DESIGN §1). Plain Node ESM, no dependencies.
 *
 * Scans packages/<pkg>/{src,test}/**\/*.ts (and top-level test/**\/*.ts for deep imports only),
 * collects every `import … from`, `export … from`, side-effect `import '…'`, `import('…')` and
 * `require('…')` specifier with a small lexer (comments, strings, templates and regex literals
 * never yield false hits), and reports one line per violation, `file:line: what and why`:
 *   [a] an import of @gradswarm/X that the direction core ← data, protocol ← worker ←
 *       coordinator ← cli forbids for that package (or a src file importing its own package);
 *   [b] a deep import @gradswarm/X/sub, unless sub is package.json or a subpath X's
 *       package.json "exports" map exports (a null target counts as blocked);
 *   [c] a relative import that leaves the package directory (or, from src, leaves src/,
 *       which tsc's rootDir would reject);
 *   [d] an import cycle among the src files of one package ('./x.js' resolves to './x.ts');
 *       type-only edges count: a type cycle is still a layering cycle;
 *   [e] a package.json dependency on a @gradswarm package the direction forbids, or a
 *       tsconfig.json "references" list that differs from the allowed @gradswarm packages
 *       the package.json declares;
 *   [f] an allowed @gradswarm import the package.json does not declare (it would resolve only
 *       through npm hoisting, STYLE §2.2 step 1).
 *
 * Usage: node scripts/check-boundaries.mjs [--root DIR] [--self-test]
 * (--self-test runs scripts/check-boundaries-self-test.mjs: a fake tree with every violation kind.)
 * Exit 0 and "boundaries ok: N files, M imports"; exit 1 with the violations; 2 on bad usage.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './walk-files.mjs';

/** Which @gradswarm packages each package may import (DESIGN §1). */
export const ALLOWED = Object.freeze({
  core: [],
  data: ['core'],
  protocol: ['core'],
  worker: ['core', 'data', 'protocol'],
  coordinator: ['core', 'data', 'protocol', 'worker'],
  // report renders the coordinator's documents (type-only imports: it stays browser-safe).
  report: ['core', 'coordinator'],
  // bench's synthetic-client test runs a real WorkerClient beside its synthetic one.
  bench: ['core', 'data', 'protocol', 'worker', 'coordinator', 'report'],
  cli: ['core', 'data', 'protocol', 'worker', 'coordinator', 'report', 'bench'],
});
const SCOPE = '@gradswarm/';
const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const RUNTIME_DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
const TS_FILE = /\.(ts|mts|cts|tsx)$/;
/** Keywords after which a `/` starts a regular expression rather than a division. */
const EXPR_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await', 'default']);

// ---------------------------------------------------------------------------------------------
// Lexer: just enough of TypeScript to find import specifiers and their line numbers.

/** Tokens {t: 'id'|'num'|'str'|'tpl'|'re'|'p', v, line, subst?} of a TS source, comments dropped. */
export function tokenize(text) {
  const tokens = [];
  const templateDepth = []; // one entry per open `${`: the '{' nesting inside it
  let i = 0;
  let line = 1;
  const push = (t, v, ln, extra) => tokens.push({ t, v, line: ln, ...extra });
  const last = () => tokens[tokens.length - 1];
  const regexAllowed = () => {
    const p = last();
    if (!p) return true;
    if (p.t === 'p') return !')]}'.includes(p.v);
    return p.t === 'id' && EXPR_KEYWORDS.has(p.v);
  };
  /** Reads template text from i (just after ` or the } closing a ${); returns at its end or at ${. */
  const readTemplate = (startLine, continued) => {
    let raw = '';
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') { raw += text.slice(i, i + 2); if (text[i + 1] === '\n') line++; i += 2; continue; }
      if (c === '\n') line++;
      if (c === '`') { i++; if (!continued) push('tpl', raw, startLine, { subst: false }); return; }
      if (c === '$' && text[i + 1] === '{') {
        i += 2;
        if (!continued) push('tpl', raw, startLine, { subst: true });
        templateDepth.push(0);
        return;
      }
      raw += c;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\ufeff') { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      const startLine = line;
      let v = '';
      i++;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\') { v += text[i + 1] ?? ''; if (text[i + 1] === '\n') line++; i += 2; continue; }
        v += text[i++];
      }
      i++;
      push('str', v, startLine);
      continue;
    }
    if (c === '`') { i++; readTemplate(line, false); continue; }
    if (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === 0) {
      templateDepth.pop();
      i++;
      readTemplate(line, true);
      continue;
    }
    if (c === '/' && regexAllowed()) {
      const startLine = line;
      let inClass = false;
      i++;
      while (i < text.length && text[i] !== '\n') {
        const d = text[i];
        if (d === '\\') { i += 2; continue; }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < text.length && /[A-Za-z]/.test(text[i])) i++;
      push('re', '', startLine);
      continue;
    }
    if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[\w$\u0080-\uffff]/.test(text[j])) j++;
      push('id', text.slice(i, j), line);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[\w.]/.test(text[j])) j++;
      push('num', text.slice(i, j), line);
      i = j;
      continue;
    }
    if (templateDepth.length > 0 && (c === '{' || c === '}')) templateDepth[templateDepth.length - 1] += c === '{' ? 1 : -1;
    push('p', c, line);
    i++;
  }
  return tokens;
}

const isP = (tok, v) => tok !== undefined && tok.t === 'p' && tok.v === v;
const isId = (tok, v) => tok !== undefined && tok.t === 'id' && tok.v === v;
const literal = (tok) => (tok !== undefined && (tok.t === 'str' || (tok.t === 'tpl' && !tok.subst)) ? tok.v : null);

/** Import specifiers of a TS source: [{spec, line, kind: 'static'|'dynamic'|'require', typeOnly}]. */
export function findImports(text) {
  const tokens = tokenize(text);
  const out = [];
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k];
    if (tok.t !== 'id' || isP(tokens[k - 1], '.')) continue;
    const next = tokens[k + 1];
    if (tok.v === 'import' || tok.v === 'require') {
      if (isP(next, '(')) {
        const spec = literal(tokens[k + 2]);
        if (spec !== null && (isP(tokens[k + 3], ')') || isP(tokens[k + 3], ','))) {
          out.push({ spec, line: tok.line, kind: tok.v === 'import' ? 'dynamic' : 'require', typeOnly: false });
        }
        continue;
      }
      if (tok.v === 'require') continue;
      if (next === undefined || isP(next, '.')) continue; // import.meta
      if (next.t === 'str') { out.push({ spec: next.v, line: tok.line, kind: 'static', typeOnly: false }); continue; }
      if (next.t === 'p' && next.v !== '{' && next.v !== '*') continue; // e.g. an object key `import:`
      const typeOnly = isId(next, 'type') && !isId(tokens[k + 2], 'from') && !isP(tokens[k + 2], ',') && !isP(tokens[k + 2], '=');
      for (let j = k + 1; j < tokens.length && j < k + 400; j++) {
        const t = tokens[j];
        if (isP(t, ';') || isId(t, 'import') || isId(t, 'export')) break;
        if (isId(t, 'from') && tokens[j + 1]?.t === 'str') {
          out.push({ spec: tokens[j + 1].v, line: tok.line, kind: 'static', typeOnly });
          break;
        }
        if (isId(t, 'require') && isP(tokens[j + 1], '(') && tokens[j + 2]?.t === 'str') {
          out.push({ spec: tokens[j + 2].v, line: tok.line, kind: 'static', typeOnly: false });
          break;
        }
      }
      continue;
    }
    if (tok.v === 'export') {
      let j = k + 1;
      let typeOnly = false;
      if (isId(tokens[j], 'type')) { typeOnly = true; j++; }
      if (isP(tokens[j], '*')) {
        j++;
        if (isId(tokens[j], 'as')) j += 2;
      } else if (isP(tokens[j], '{')) {
        while (j < tokens.length && !isP(tokens[j], '}')) j++;
        j++;
      } else continue;
      if (isId(tokens[j], 'from') && tokens[j + 1]?.t === 'str') out.push({ spec: tokens[j + 1].v, line: tok.line, kind: 'static', typeOnly });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Files, JSON with comments, package metadata.

function walk(dir) {
  return walkFiles(dir, (name) => TS_FILE.test(name) && !name.endsWith('.d.ts'));
}

/** JSON with comments and trailing commas (tsconfig). */
export function parseJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      out += text.slice(i, end === -1 ? text.length : end + 2).replace(/[^\n]/g, ' ');
      i = end === -1 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** 1-based line of the first occurrence of `needle` at or after the line holding `after`. */
function lineOf(text, needle, after) {
  const lines = text.split('\n');
  let start = 0;
  if (after !== undefined) start = Math.max(0, lines.findIndex((l) => l.includes(after)));
  for (let k = start; k < lines.length; k++) if (lines[k].includes(needle)) return k + 1;
  return 1;
}

function readJson(path, violations, rel, jsonc = false) {
  const text = readFileSync(path, 'utf8');
  try {
    return { text, json: jsonc ? parseJsonc(text) : JSON.parse(text) };
  } catch (err) {
    violations.push({ rule: 'e', file: rel(path), line: 1, message: `cannot parse ${path.endsWith('tsconfig.json') ? 'tsconfig.json' : 'package.json'}: ${err.message}` });
    return null;
  }
}

/** Whether subpath './x' is exported by an exports map (keys may hold one '*'; null blocks). */
export function exportsSubpath(exportsMap, subpath) {
  if (exportsMap === undefined || exportsMap === null || typeof exportsMap !== 'object' || Array.isArray(exportsMap)) return false;
  if (!Object.keys(exportsMap).some((key) => key.startsWith('.'))) return false; // conditions only: '.' alone
  let best = null;
  for (const [key, target] of Object.entries(exportsMap)) {
    if (key === subpath) return target !== null;
    const star = key.indexOf('*');
    if (star === -1) continue;
    const head = key.slice(0, star);
    const tail = key.slice(star + 1);
    if (subpath.startsWith(head) && subpath.endsWith(tail) && subpath.length >= key.length - 1) {
      if (best === null || head.length > best.head.length) best = { head, target };
    }
  }
  return best !== null && best.target !== null;
}

// ---------------------------------------------------------------------------------------------
// The check.

/**
 * Checks the tree at `root`.
 * @returns {{ violations: Array<{rule, file, line, message}>, files: number, imports: number }}
 */
export function checkBoundaries(root) {
  const violations = [];
  const rel = (p) => relative(root, p).split(sep).join('/');
  const add = (rule, file, line, message) => violations.push({ rule, file: rel(file), line, message });
  const packagesDir = join(root, 'packages');
  const names = existsSync(packagesDir) ? readdirSync(packagesDir).filter((n) => existsSync(join(packagesDir, n, 'package.json'))).sort() : [];
  const pkgs = new Map();
  for (const name of names) {
    const dir = join(packagesDir, name);
    const pj = readJson(join(dir, 'package.json'), violations, rel);
    const declared = (fields) => new Set(fields.flatMap((f) => Object.keys(pj?.json[f] ?? {})).filter((d) => d.startsWith(SCOPE)).map((d) => d.slice(SCOPE.length)));
    pkgs.set(name, { name, dir, pj, runtimeDeps: declared(RUNTIME_DEP_FIELDS), allDeps: declared(DEP_FIELDS) });
    if (!Object.hasOwn(ALLOWED, name)) {
      add('a', join(dir, 'package.json'), 1, `packages/${name} is not in the direction table ALLOWED of scripts/check-boundaries.mjs - add it there following DESIGN §1`);
    }
  }
  const allowedFor = (name) => ALLOWED[name] ?? [];
  const direction = (name) => (allowedFor(name).length === 0 ? `${name} imports nothing of ours` : `${name} may import only ${allowedFor(name).map((n) => SCOPE + n).join(', ')}`);

  // [e] package.json dependencies and tsconfig references.
  for (const p of pkgs.values()) {
    if (p.pj === null) continue;
    const pjPath = join(p.dir, 'package.json');
    for (const field of DEP_FIELDS) {
      for (const dep of Object.keys(p.pj.json[field] ?? {})) {
        if (!dep.startsWith(SCOPE)) continue;
        const target = dep.slice(SCOPE.length);
        const line = lineOf(p.pj.text, `"${dep}"`, `"${field}"`);
        if (target === p.name) add('e', pjPath, line, `${field} lists ${dep}, the package itself`);
        else if (!allowedFor(p.name).includes(target)) add('e', pjPath, line, `${field} lists ${dep}, which the direction forbids: ${direction(p.name)} (DESIGN §1)`);
      }
    }
    const tsPath = join(p.dir, 'tsconfig.json');
    if (!existsSync(tsPath)) {
      add('e', pjPath, 1, `packages/${p.name} has no tsconfig.json, so its project references cannot be checked`);
      continue;
    }
    const ts = readJson(tsPath, violations, rel, true);
    if (ts === null) continue;
    const refs = new Map();
    for (const ref of Array.isArray(ts.json.references) ? ts.json.references : []) {
      const target = resolve(p.dir, String(ref?.path ?? ''));
      const line = lineOf(ts.text, String(ref?.path), '"references"');
      const name = dirname(target) === packagesDir ? target.slice(packagesDir.length + 1) : null;
      if (name === null || !pkgs.has(name)) add('e', tsPath, line, `references ${JSON.stringify(ref?.path)}, which is not a package of this repo`);
      else if (refs.has(name)) add('e', tsPath, line, `references ../${name} twice`);
      else refs.set(name, line);
    }
    const expected = [...p.runtimeDeps].filter((d) => d !== p.name && allowedFor(p.name).includes(d) && pkgs.has(d));
    const refsLine = lineOf(ts.text, '"references"');
    for (const d of expected) {
      if (!refs.has(d)) add('e', tsPath, refsLine, `"references" lacks ../${d}, but package.json depends on ${SCOPE}${d} - tsconfig references must list exactly the allowed @gradswarm dependencies (STYLE §2.2)`);
    }
    for (const [name, line] of refs) {
      if (!expected.includes(name)) {
        const why = allowedFor(p.name).includes(name) ? `package.json does not depend on ${SCOPE}${name}` : `the direction forbids it: ${direction(p.name)}`;
        add('e', tsPath, line, `"references" lists ../${name}, but ${why}`);
      }
    }
  }

  // [a] [b] [c] [f] per import; collect src edges for [d].
  let fileCount = 0;
  let importCount = 0;
  const checkDeep = (file, imp, target, subpath) => {
    if (subpath === './package.json') return;
    const exportsMap = pkgs.get(target)?.pj?.json.exports;
    if (!exportsSubpath(exportsMap, subpath)) {
      add('b', file, imp.line, `deep import '${imp.spec}': ${SCOPE}${target} does not export '${subpath}' - import from '${SCOPE}${target}' (its src/index.ts is the public surface), or add the subpath to its package.json "exports" if consumers truly need it`);
    }
  };
  for (const p of pkgs.values()) {
    const graph = new Map();
    const srcDir = join(p.dir, 'src');
    for (const area of ['src', 'test']) {
      for (const file of walk(join(p.dir, area))) {
        fileCount++;
        const edges = [];
        if (area === 'src') graph.set(file, edges);
        for (const imp of findImports(readFileSync(file, 'utf8'))) {
          importCount++;
          const how = imp.kind === 'static' ? 'import' : `${imp.kind} import`;
          if (imp.spec === '@gradswarm' || imp.spec.startsWith(SCOPE)) {
            const [target, ...rest] = imp.spec.slice(SCOPE.length).split('/');
            const subpath = rest.length > 0 ? `./${rest.join('/')}` : null;
            if (!pkgs.has(target)) {
              add('a', file, imp.line, `${how} of '${imp.spec}': there is no package ${SCOPE}${target} in packages/`);
              continue;
            }
            if (target === p.name) {
              if (area === 'src') {
                add('a', file, imp.line, `${how} of '${imp.spec}': a src file imports its own package by name, which goes through src/index.ts and makes a cycle - use a relative import`);
                continue;
              }
            } else if (!allowedFor(p.name).includes(target)) {
              add('a', file, imp.line, `${how} of '${imp.spec}' crosses the package direction: ${direction(p.name)} (DESIGN §1: core <- data, protocol <- worker <- coordinator <- cli)`);
              continue;
            } else if (!(area === 'src' ? p.runtimeDeps : p.allDeps).has(target)) {
              add('f', file, imp.line, `${how} of '${imp.spec}': packages/${p.name}/package.json does not declare ${SCOPE}${target}${area === 'test' ? ' (nor in devDependencies)' : ''}, so it resolves only through npm hoisting - add "${SCOPE}${target}": "*" to its dependencies`);
            }
            if (subpath !== null) checkDeep(file, imp, target, subpath);
            continue;
          }
          if (!imp.spec.startsWith('.') && !imp.spec.startsWith('/') && !imp.spec.startsWith('file:')) continue;
          const abs = imp.spec.startsWith('file:') ? fileURLToPath(imp.spec) : resolve(dirname(file), imp.spec);
          if (abs !== p.dir && !abs.startsWith(p.dir + sep)) {
            const inside = names.find((n) => abs.startsWith(join(packagesDir, n) + sep));
            const hint = inside ? ` - import '${SCOPE}${inside}' instead` : '';
            add('c', file, imp.line, `relative ${how} '${imp.spec}' leaves packages/${p.name} (resolves to ${rel(abs)})${hint}`);
            continue;
          }
          if (area !== 'src') continue;
          if (!abs.startsWith(srcDir + sep)) {
            add('c', file, imp.line, `relative ${how} '${imp.spec}' leaves packages/${p.name}/src (resolves to ${rel(abs)}); tsc's rootDir is src, and src must not depend on tests`);
            continue;
          }
          const resolved = resolveSource(abs);
          if (resolved !== null) edges.push({ to: resolved, line: imp.line, typeOnly: imp.typeOnly });
        }
      }
    }
    for (const cycle of findCycles(graph)) {
      const names2 = cycle.map((e) => rel(e.from).slice(`packages/${p.name}/src/`.length));
      const typeOnly = cycle.every((e) => e.typeOnly);
      add('d', cycle[0].from, cycle[0].line, `import cycle in ${SCOPE}${p.name}: ${[...names2, names2[0]].join(' -> ')}${typeOnly ? ' (type-only imports, still a layering cycle: move the shared types to types.ts)' : ''} - a low-level file must not import a high-level one (STYLE §2.2)`);
    }
  }

  // Top-level test/: cross-package tests may import any package, but only through its exports.
  for (const file of walk(join(root, 'test'))) {
    fileCount++;
    for (const imp of findImports(readFileSync(file, 'utf8'))) {
      importCount++;
      if (!imp.spec.startsWith(SCOPE)) continue;
      const [target, ...rest] = imp.spec.slice(SCOPE.length).split('/');
      if (!pkgs.has(target)) add('a', file, imp.line, `import of '${imp.spec}': there is no package ${SCOPE}${target} in packages/`);
      else if (rest.length > 0) checkDeep(file, imp, target, `./${rest.join('/')}`);
    }
  }
  violations.sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line));
  return { violations, files: fileCount, imports: importCount };
}

/** './x.js' → x.ts (NodeNext writes the emitted name); './x' → x.ts or x/index.ts. */
function resolveSource(abs) {
  const candidates = [];
  const m = /\.(m|c)?js$/.exec(abs);
  if (m) {
    const base = abs.slice(0, -m[0].length);
    candidates.push(`${base}.${m[1] ?? ''}ts`, `${base}.tsx`);
  }
  candidates.push(abs, `${abs}.ts`, `${abs}.tsx`, join(abs, 'index.ts'));
  return candidates.find((c) => TS_FILE.test(c) && existsSync(c) && statSync(c).isFile()) ?? null;
}

/** One cycle per strongly connected component (Tarjan), as a list of edges {from, to, line, typeOnly}. */
function findCycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const strong = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        strong(to);
        low.set(v, Math.min(low.get(v), low.get(to)));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v), index.get(to)));
    }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      components.push(comp);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strong(v);
  const cycles = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = [...comp].sort()[0];
    const selfEdge = (graph.get(start) ?? []).find((e) => e.to === start);
    if (comp.length === 1 && !selfEdge) continue;
    // Shortest path start -> … -> start inside the component (BFS).
    const prev = new Map();
    const queue = [start];
    let closing = selfEdge ? { from: start, ...selfEdge } : null;
    while (queue.length > 0 && closing === null) {
      const v = queue.shift();
      for (const e of graph.get(v) ?? []) {
        if (!members.has(e.to)) continue;
        if (e.to === start) { closing = { from: v, ...e }; break; }
        if (!prev.has(e.to)) { prev.set(e.to, { from: v, ...e }); queue.push(e.to); }
      }
    }
    const path = [closing];
    for (let v = closing.from; v !== start; v = prev.get(v).from) path.unshift(prev.get(v));
    cycles.push(path);
  }
  return cycles;
}

// ---------------------------------------------------------------------------------------------

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  for (let k = 0; k < argv.length; k++) {
    if (argv[k] === '--self-test') return import('./check-boundaries-self-test.mjs').then((m) => m.selfTest());
    if (argv[k] === '--root' && argv[k + 1] !== undefined) root = resolve(argv[++k]);
    else {
      process.stderr.write(`check-boundaries: unknown argument ${argv[k]} - usage: node scripts/check-boundaries.mjs [--root DIR] [--self-test]\n`);
      return 2;
    }
  }
  const { violations, files, imports } = checkBoundaries(root);
  if (violations.length === 0) {
    process.stdout.write(`boundaries ok: ${files} files, ${imports} imports\n`);
    return 0;
  }
  for (const v of violations) process.stdout.write(`${v.file}:${v.line}: [${v.rule}] ${v.message}\n`);
  process.stdout.write(`boundaries: ${violations.length} violation${violations.length === 1 ? '' : 's'} in ${files} files, ${imports} imports\n`);
  return 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  Promise.resolve(main(process.argv.slice(2))).then((code) => {
    process.exitCode = code;
  });
}
