#!/usr/bin/env node
/**
 * The README's table of hostile cases (issue 17, "Measured"): runs the integration tests that
 * attack a live coordinator or worker (refusals, forged sessions, floods, rogue results,
 * backpressure, a hostile coordinator, chaos) `--repeat` times, and prints one Markdown row per
 * case: how many times it was tried, how many times it ended as the test demands, and what the
 * attacker got (the close codes, HTTP statuses and error codes the test asserts, read from its
 * title). The chaos cases print how many kills, stops and cycles they made (CHAOS lines).
 *
 *   node scripts/hostile-table.mjs [--repeat 1] [--files a.integration.test.ts,...]
 *
 * Needs a build (npm run build) and ../shared/data beside the checkout, as the tests do.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg as flag, root as ROOT } from './bench-common.mjs';

const DEFAULT_FILES = [
  'protocol-refusals',
  'session-security',
  'idle-connections',
  'result-screen',
  'backpressure',
  'worker-link',
  'tls-mistakes',
  'handshake-end',
  'chaos',
  'chaos-links',
].map((name) => `${name}.integration.test.ts`);

const repeat = Number(flag('repeat', '1'));
if (!Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(`--repeat must be a positive integer, got ${flag('repeat', '1')}\n`);
  process.exit(2);
}
const files = flag('files', DEFAULT_FILES.join(',')).split(',');

/** An ANSI colour code (ESC [ … m). */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
/** fullName → { file, tried, passed } over every repeat. */
const cases = new Map();
/** CHAOS name → total count over every repeat. */
const chaos = new Map();
const work = mkdtempSync(join(tmpdir(), 'gradswarm-hostile-'));
try {
  for (let round = 1; round <= repeat; round++) {
    const out = join(work, `round-${round}.json`);
    process.stderr.write(`round ${round}/${repeat}: ${files.length} test files\n`);
    const run = spawnSync(
      'npx',
      [
        'vitest',
        'run',
        '--config',
        'test/vitest.config.ts',
        ...files,
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${out}`,
      ],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    // Colour codes (FORCE_COLOR in the environment) would hide the line starts.
    const printed = `${run.stdout}${run.stderr}`.replace(COLOUR, '');
    for (const m of printed.matchAll(/^CHAOS (\S+) (\d+)/gm)) chaos.set(m[1], (chaos.get(m[1]) ?? 0) + Number(m[2]));
    const report = JSON.parse(readFileSync(out, 'utf8'));
    for (const file of report.testResults) {
      const name = file.name.replace(/^.*\//, '');
      for (const t of file.assertionResults) {
        if (t.status === 'skipped' || t.status === 'pending') continue;
        const row = cases.get(t.fullName) ?? { file: name, title: t.title, tried: 0, passed: 0 };
        row.tried++;
        if (t.status === 'passed') row.passed++;
        cases.set(t.fullName, row);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** What the attacker got, as the test's title asserts it. */
function outcome(title) {
  const got = new Set();
  for (const m of title.matchAll(/\bGS_ERR_[A-Z_]+\b/g)) got.add(m[0]);
  for (const m of title.matchAll(/\b(?:close(?: code)?|with) (1002|1008|1009|1011|40\d\d)\b/g))
    got.add(`close ${m[1]}`);
  for (const m of title.matchAll(/\bHTTP (\d{3})\b/g)) got.add(`HTTP ${m[1]}`);
  return got.size > 0 ? [...got].join(', ') : '—';
}

const lines = ['| hostile case (test) | file | tried | as the test demands | what it got |', '|---|---|---:|---:|---|'];
for (const row of cases.values()) {
  lines.push(
    `| ${row.title.replace(/\|/g, '\\|')} | ${row.file.replace('.integration.test.ts', '')} | ${row.tried} | ${row.passed} | ${outcome(row.title)} |`,
  );
}
if (chaos.size > 0) {
  lines.push('', '| chaos action | times, over every repeat |', '|---|---:|');
  for (const [name, count] of chaos) lines.push(`| ${name} | ${count} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
