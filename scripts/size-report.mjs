#!/usr/bin/env node
/**
 * Size report (STYLE §2.8; tinygrad's sz.py with MAX_LINE_COUNT): lines per source file under
 * packages/<pkg>/src, packages/<pkg>/test, scripts/ and test/ (.ts/.mts/.cts/.tsx/.js/.mjs/.cjs,
 * never dist/ or node_modules/), largest first, then totals per package.
 *
 * Budgets (a file over its budget fails `--check`):
 *   entry   packages/<pkg>/src/index.ts                     40 lines (re-exports only)
 *   bottom  constants.ts, types.ts, errors.ts               150 lines
 *   test    anything under a test/ folder                   800 lines (split by behaviour)
 *   source  every other file                                600 lines (STYLE: review past 600,
 *                                                             cap ~900 for one public-class file)
 *
 * Usage: node scripts/size-report.mjs [--check] [--json] [--root DIR]
 * Exit 0, or 1 with --check when a file is over budget; 2 on bad usage.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './walk-files.mjs';

export const BUDGETS = Object.freeze({ entry: 40, bottom: 150, test: 800, source: 600 });
/** The hard cap STYLE §2.8 names for a single public-class file; shown, not enforced separately. */
export const SOURCE_CAP = 900;
const EXTENSIONS = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;
const BOTTOM_FILES = new Set(['constants.ts', 'types.ts', 'errors.ts']);

function walk(dir) {
  return walkFiles(dir, (name) => EXTENSIONS.test(name));
}

/** Lines as `wc -l` counts them, plus a last line without a newline. */
export function countLines(text) {
  if (text.length === 0) return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

/** The kind of a repo-relative path ('/'-separated) and so its budget. */
export function classify(path) {
  const parts = path.split('/');
  if (parts.includes('test') || /\.test\.[cm]?[jt]sx?$/.test(path)) return 'test';
  if (parts[0] === 'packages' && parts[2] === 'src' && parts.length === 4 && parts[3] === 'index.ts') return 'entry';
  if (BOTTOM_FILES.has(basename(path))) return 'bottom';
  return 'source';
}

/** Sizes of every file in scope under `root`. */
export function sizeReport(root) {
  const rel = (p) => relative(root, p).split(sep).join('/');
  const files = [];
  const add = (group, path) => {
    const lines = countLines(readFileSync(path, 'utf8'));
    const r = rel(path);
    const kind = classify(r);
    const budget = BUDGETS[kind];
    files.push({ path: r, group, kind, lines, budget, over: lines > budget });
  };
  const packagesDir = join(root, 'packages');
  const packages = existsSync(packagesDir)
    ? readdirSync(packagesDir)
        .filter((n) => statSync(join(packagesDir, n)).isDirectory())
        .sort()
    : [];
  for (const name of packages) {
    for (const area of ['src', 'test']) for (const path of walk(join(packagesDir, name, area))) add(name, path);
  }
  for (const path of walk(join(root, 'scripts'))) add('scripts', path);
  for (const path of walk(join(root, 'test'))) add('test', path);
  files.sort((a, b) => b.lines - a.lines || (a.path < b.path ? -1 : 1));

  const groups = new Map();
  for (const f of files) {
    const g = groups.get(f.group) ?? { group: f.group, files: 0, sourceLines: 0, testLines: 0, lines: 0 };
    g.files++;
    g.lines += f.lines;
    if (f.kind === 'test') g.testLines += f.lines;
    else g.sourceLines += f.lines;
    groups.set(f.group, g);
  }
  const order = [...packages, 'scripts', 'test'];
  const totals = [...groups.values()].sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
  const all = totals.reduce(
    (s, g) => ({
      files: s.files + g.files,
      sourceLines: s.sourceLines + g.sourceLines,
      testLines: s.testLines + g.testLines,
      lines: s.lines + g.lines,
    }),
    { files: 0, sourceLines: 0, testLines: 0, lines: 0 },
  );
  return { budgets: BUDGETS, sourceCap: SOURCE_CAP, files, totals, all, overBudget: files.filter((f) => f.over) };
}

function table(headers, rows, alignRight) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const fmt = (r) =>
    r
      .map((v, c) => (alignRight[c] ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function describeOver(f) {
  const why = {
    entry: 'entry files hold re-exports only (STYLE §2.1/§2.8)',
    bottom: 'constants/types/errors files stay small (STYLE §2.8)',
    test: 'split the test file by behaviour (STYLE §2.6)',
    source:
      f.lines > SOURCE_CAP
        ? `past the ~${SOURCE_CAP}-line cap: split it (STYLE §2.8)`
        : `review past 600, cap ~${SOURCE_CAP} (STYLE §2.8)`,
  }[f.kind];
  return `${f.path}: ${f.lines} lines > ${f.budget} (${f.kind}) - ${why}`;
}

function main(argv) {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  let check = false;
  let json = false;
  for (let k = 0; k < argv.length; k++) {
    if (argv[k] === '--check') check = true;
    else if (argv[k] === '--json') json = true;
    else if (argv[k] === '--root' && argv[k + 1] !== undefined) root = resolve(argv[++k]);
    else {
      process.stderr.write(
        `size-report: unknown argument ${argv[k]} - usage: node scripts/size-report.mjs [--check] [--json] [--root DIR]\n`,
      );
      return 2;
    }
  }
  const report = sizeReport(root);
  const failed = check && report.overBudget.length > 0;
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const out = [];
  out.push(
    table(
      ['lines', 'budget', 'kind', 'file'],
      report.files.map((f) => [f.lines, f.budget, f.kind, f.over ? `${f.path}  <-- OVER BUDGET` : f.path]),
      [true, true, false, false],
    ),
  );
  out.push('');
  const totalRows = report.totals.map((g) => [g.group, g.files, g.sourceLines, g.testLines, g.lines]);
  totalRows.push(['all', report.all.files, report.all.sourceLines, report.all.testLines, report.all.lines]);
  out.push(table(['package', 'files', 'source', 'test', 'lines'], totalRows, [false, true, true, true, true]));
  out.push('');
  const b = BUDGETS;
  out.push(
    `budgets: entry ${b.entry}, constants/types/errors ${b.bottom}, source ${b.source} (cap ~${SOURCE_CAP}), test ${b.test}`,
  );
  if (report.overBudget.length === 0)
    out.push(`size ok: ${report.all.files} files, ${report.all.lines} lines, none over budget`);
  else {
    out.push(`OVER BUDGET (${report.overBudget.length} file${report.overBudget.length === 1 ? '' : 's'}):`);
    for (const f of report.overBudget) out.push(`  ${describeOver(f)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
