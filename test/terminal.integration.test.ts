/**
 * The screen of `train` and `coordinator` on a terminal (issue 16 items 10 and 11), read as a
 * user sees it through a pseudo-terminal: every log line prints above the progress bar, never
 * through it; the join line is intact; the per-epoch lines are there; no bar is left behind.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, writeBlobsCsv } from './helpers/cli.js';
import { killAll, startWorker } from './helpers/processes.js';
import { HAVE_SCRIPT, runInTerminal } from './helpers/terminal.js';

if (!HAVE_SCRIPT) console.warn('skipping the terminal tests: `script` (util-linux) is not installed');

let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 150 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

/** A line that holds (part of) a progress bar. */
const BAR = /[█░]|\d+% \| cost /;

describe.skipIf(!HAVE_SCRIPT)('on a terminal', () => {
  it('train prints every line above the bar, each epoch line included, and leaves no bar behind', async () => {
    const out = join(dir, 'tty-model.json');
    const run = runInTerminal(
      ['train', '--dataset', `csv:${csv}`, ...blobsFlags(), '--epochs', '4', '--batch-size', '10', '--out', out],
      140,
    );
    expect(await run.exited).toBe(0);
    const lines = run.screen.text().split('\n');
    const context = run.screen.text();
    expect(
      lines.filter((l) => BAR.test(l)),
      context,
    ).toEqual([]);
    const epochLines = lines.filter((l) => /^epoch \d+\/4: /.test(l));
    expect(
      epochLines.map((l) => l.slice(0, 10)),
      context,
    ).toEqual(['epoch 1/4:', 'epoch 2/4:', 'epoch 3/4:', 'epoch 4/4:']);
    for (const l of epochLines) expect(l).toMatch(/^epoch \d\/4: cost \d+\.\d{5}, train \d+\.\d\d%, test \d+\.\d\d%$/);
    // The order a user reads: what was loaded, the epochs, what was written, the summary.
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(at(/^data: CSV /)).toBe(0);
    expect(at(/^model: 3-8-3 /)).toBeLessThan(at(/^epoch 1\/4: /));
    expect(at(/^epoch 4\/4: /)).toBeLessThan(at(/^model written to /));
    expect(at(/^model written to /)).toBeLessThan(at(/^trained 3-8-3 for 4 epochs /));
    expect(lines[lines.length - 1], context).toMatch(/^final cost \d+\.\d{5} \(mean of epoch 4\); test cost /);
  });

  it('coordinator keeps its listening and join lines whole, logs the worker and the epochs above the bar, and leaves no bar', async () => {
    const token = 'terminal-integration-token';
    const run = runInTerminal(
      [
        'coordinator',
        '--port',
        '0',
        '--token',
        token,
        '--local-threads',
        '0',
        '--min-workers',
        '1',
        '--dataset',
        `csv:${csv}`,
        ...blobsFlags(),
        '--epochs',
        '3',
        '--batch-size',
        '10',
      ],
      140,
    );
    const [, url] = await run.waitFor(/^join with: gradswarm worker --connect (ws:\/\/127\.0\.0\.1:\d+) --token /m);
    startWorker(url, token, ['--threads', '1', '--data-cache', 'none', '--label', 'tty-worker']);
    expect(await run.exited, run.screen.text()).toBe(0);
    const text = run.screen.text();
    const lines = text.split('\n');
    expect(
      lines.filter((l) => BAR.test(l)),
      text,
    ).toEqual([]);
    // Whole lines, nothing glued before or after them.
    expect(lines, text).toContain(`coordinator listening on ${url} (GET ${url.replace(/^ws/, 'http')}/status)`);
    expect(lines, text).toContain(`join with: gradswarm worker --connect ${url} --token ${token}`);
    expect(lines, text).toContain('waiting for 1 worker to join');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(at(/^worker \d+ \(tty-worker/), text).toBeGreaterThan(at(/^join with: /));
    expect(
      lines.filter((l) => /^epoch \d\/3: cost /.test(l)),
      text,
    ).toHaveLength(3);
    expect(lines[lines.length - 1], text).toMatch(/^final cost \d+\.\d{5} \(mean of epoch 3\); test cost /);
  });

  // Issue 16 item 12: yargs glued a description that filled its column to the type column ("giving up[number]").
  it.each([60, 80, 90, 100, 110, 120])(
    'help at %i columns never glues a description to its type column',
    async (columns) => {
      for (const command of ['train', 'coordinator', 'worker', 'eval', 'gradcheck']) {
        const run = runInTerminal([command, '--help'], columns);
        expect(await run.exited).toBe(0);
        const glued = run.screen
          .text()
          .split('\n')
          .filter((l) => /\S\[(string|number|boolean|required|choices:|default:)/.test(l));
        expect(glued, `${command} --help at ${columns} columns`).toEqual([]);
      }
    },
  );
});
