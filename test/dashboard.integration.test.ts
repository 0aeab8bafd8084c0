/**
 * Watching a run (issue 13 items 1–3): a coordinator with two `gradswarm worker` processes and
 * `--trace`. While it trains, headless Chromium (Debian's `chromium`, driven by playwright-core)
 * opens the dashboard at `/#token=…`: its charts have a size, and its step counter and worker
 * table change between two looks; without a token (or with a wrong one) it is refused. `/metrics`
 * is read with a strict reader of the Prometheus text format. The run is then stopped (SIGINT),
 * and its trace must be Trace Event JSON with spans for every worker and the coordinator.
 *
 * The screenshot goes to a temp dir; GRADSWARM_WRITE_DOCS_SCREENSHOT=1 writes docs/dashboard.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, REPO_ROOT } from './helpers/cli.js';
import { launchCoordinator, type CoordinatorProcess } from './helpers/coordinator.js';
import { killAll, startWorker, type Running } from './helpers/processes.js';
import { parsePrometheusText } from './helpers/prometheus-text.js';

const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = !existsSync(CHROMIUM);
if (NO_CHROMIUM) console.warn(`skipping the dashboard tests: ${CHROMIUM} not found (apt-get install -y chromium)`);
if (NO_DIGITS) console.warn('skipping the dashboard tests: the digits data set is missing');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

const TOKEN = 'dashboard-run-token-0123456789';
const DASHBOARD_TOKEN = 'dashboard-read-only-0123456789';
// Many small steps, evaluated every epoch: the run lasts until the test stops it.
const RUN = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '500', '--batch-size', '20', '--seed', '5'];

/** GET with an optional Authorization header. */
async function get(url: string, token?: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

interface Look {
  step: string;
  workers: string;
  views: number;
  charts: Array<{ name: string; width: number; height: number }>;
}

async function look(page: Page): Promise<Look> {
  return page.evaluate(() => ({
    step: document.querySelector('[data-fact="step"] dd')?.textContent ?? '',
    workers: document.querySelector('[data-table="workers"] tbody')?.textContent ?? '',
    views: Number(document.body.dataset.views ?? 0),
    charts: Array.from(document.querySelectorAll('[data-chart]')).map((el) => {
      const box = el.querySelector('svg')!.getBoundingClientRect();
      return { name: el.getAttribute('data-chart') ?? '', width: box.width, height: box.height };
    }),
  }));
}

describe.skipIf(NO_CHROMIUM || NO_DIGITS)('the live dashboard, /metrics and --trace of a coordinator', () => {
  let dir: string;
  let c: CoordinatorProcess;
  let browser: Browser;
  const workers: Running[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    c = await launchCoordinator([
      ...RUN,
      // The default topology, the chain: per-worker bytes include the peer links' traffic the workers report.
      '--local-threads',
      '0',
      '--min-workers',
      '2',
      '--token',
      TOKEN,
      '--dashboard-token',
      DASHBOARD_TOKEN,
      '--trace',
      join(dir, 'trace.json'),
    ]);
    for (const label of ['alpha', 'beta'])
      workers.push(startWorker(c.url, TOKEN, ['--threads', '1', '--label', label, '--data-cache', join(dir, 'cache')]));
    await c.waitFor(/epoch 1\/500: /);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    killAll();
    await removeTempDir(dir);
  });

  it('prints the dashboard URL with the read-only token', () => {
    expect(c.stderr()).toContain(`dashboard: ${c.httpUrl}/#token=${DASHBOARD_TOKEN}`);
  });

  it('draws the run in Chromium and updates it: charts with a size, a step counter and worker table that change', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const outside: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(c.httpUrl)) outside.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${c.httpUrl}/#token=${DASHBOARD_TOKEN}`);
      await page.waitForFunction(() => Number(document.body.dataset.views ?? 0) >= 1);
      // The token left the address bar (it stays in sessionStorage for reloads).
      expect(page.url()).toBe(`${c.httpUrl}/`);
      const first = await look(page);
      expect(first.charts.map((x) => x.name)).toEqual([
        'minibatch-cost',
        'accuracy',
        'step-time',
        'samples-per-second',
      ]);
      for (const chart of first.charts) {
        expect(chart.width, chart.name).toBeGreaterThan(100);
        expect(chart.height, chart.name).toBeGreaterThan(50);
      }
      const rows = await page.$$eval('[data-table="workers"] tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
      );
      expect(rows).toHaveLength(2);
      for (const [label, row] of [
        ['alpha', rows.find((r) => r[0].includes('alpha'))],
        ['beta', rows.find((r) => r[0].includes('beta'))],
      ] as const) {
        expect(row, label).toBeDefined();
        expect(row!.slice(1, 4), label).toEqual(['node', '1', c.backend]);
        expect(row![9], label).toBe('READY');
        // 64-16-10: P = 1210 floats; a chain worker moves at least a chunk frame of 4P each way per
        // step, nearly all over its peer links (its coordinator link carries the step and statistics).
        expect(row![7], label).toMatch(/\d( K| M)?B$/);
        expect(parseBytes(row![7]), label).toBeGreaterThan(1.5 * 4 * 1210);
      }
      expect(await page.locator('[data-table="membership"]').textContent()).toMatch(/alpha.*joined|joined.*alpha/s);
      // A second look, once two more views came: the run moved on.
      await page.waitForFunction((n) => Number(document.body.dataset.views ?? 0) >= n + 2, first.views);
      const second = await look(page);
      expect(second.step).not.toBe(first.step);
      expect(second.workers).not.toBe(first.workers);
      const shot = join(dir, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.GRADSWARM_WRITE_DOCS_SCREENSHOT === '1')
        await copyFile(shot, join(REPO_ROOT, 'docs', 'dashboard.png'));
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('refuses the stream and /metrics without the token or with a wrong one; the page says so', async () => {
    for (const path of ['/dashboard/events', '/metrics']) {
      expect((await get(`${c.httpUrl}${path}`)).status, path).toBe(401);
      const wrong = await get(`${c.httpUrl}${path}`, 'not-the-token-at-all');
      expect(wrong.status, path).toBe(403);
      expect(JSON.parse(wrong.body).error).toMatch(/token is wrong/);
    }
    const page = await browser.newPage();
    try {
      await page.goto(`${c.httpUrl}/`);
      await expect.poll(() => page.locator('#login').isVisible()).toBe(true);
      expect(await page.locator('main').innerHTML()).toBe('');
      await page.fill('#login input', 'not-the-token-at-all');
      await page.click('#login button');
      await page.waitForFunction(() => document.body.dataset.refused === 'true');
      expect(await page.locator('#connection').textContent()).toMatch(/^refused: the token is wrong/);
      expect(await page.locator('main').innerHTML()).toBe('');
    } finally {
      await page.close();
    }
  });

  it('serves /metrics in the Prometheus text format with the run token too', async () => {
    const reply = await get(`${c.httpUrl}/metrics`, TOKEN);
    expect(reply.status).toBe(200);
    expect(reply.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(reply.body);
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      families
        .get(name.replace(/_(count|sum|bucket)$/, ''))
        ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('gradswarm_steps_total')).toBeGreaterThan(0);
    expect(value('gradswarm_samples_total')).toBeGreaterThan(0);
    expect(value('gradswarm_workers', { state: 'READY' })).toBe(2);
    expect(value('gradswarm_local_threads')).toBe(0);
    expect(value('gradswarm_membership_events_total', { kind: 'joined' })).toBe(2);
    expect(value('gradswarm_received_bytes_total')).toBeGreaterThan(0);
    expect(value('gradswarm_cost')).toBeGreaterThan(0);
    expect(value('gradswarm_accuracy', { set: 'train' })).toBeGreaterThan(0);
    expect(families.get('gradswarm_step_phase_seconds')?.type).toBe('histogram');
    for (const phase of ['compute', 'wait', 'reduce_update', 'step'])
      expect(value('gradswarm_step_phase_seconds_count', { phase }), phase).toBeGreaterThan(0);
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });

  it('writes a Trace Event file with spans for the coordinator and every worker when stopped', async () => {
    c.child.kill('SIGINT');
    expect(await c.exited).not.toBeNull();
    await c.waitFor(/trace written to /);
    const doc = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as {
      traceEvents: Array<{
        name: string;
        ph: string;
        pid: number;
        tid: number;
        ts?: number;
        dur?: number;
        args?: { name?: string };
      }>;
      displayTimeUnit: string;
    };
    expect(Array.isArray(doc.traceEvents)).toBe(true);
    expect(doc.displayTimeUnit).toBe('ms');
    for (const e of doc.traceEvents) {
      expect(typeof e.name).toBe('string');
      expect(['X', 'i', 'M']).toContain(e.ph);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
      if (e.ph !== 'M') expect(Number.isFinite(e.ts) && e.ts! >= 0).toBe(true);
      if (e.ph === 'X') expect(Number.isFinite(e.dur) && e.dur! >= 0).toBe(true);
    }
    const tracks = new Map(doc.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.args!.name!, e.tid]));
    const names = [...tracks.keys()];
    expect(names).toContain('coordinator');
    for (const label of ['alpha', 'beta'])
      expect(
        names.some((n) => n.endsWith(`(${label})`)),
        label,
      ).toBe(true);
    const spans = (tid: number, name: string): number =>
      doc.traceEvents.filter((e) => e.ph === 'X' && e.tid === tid && e.name === name).length;
    const coordinatorSteps = doc.traceEvents.filter(
      (e) => e.ph === 'X' && e.tid === tracks.get('coordinator') && e.name.startsWith('step '),
    ).length;
    expect(coordinatorSteps).toBeGreaterThan(0);
    expect(spans(tracks.get('coordinator')!, 'reduce+update')).toBe(coordinatorSteps);
    for (const [name, tid] of tracks) {
      if (name === 'coordinator') continue;
      expect(spans(tid, 'compute'), name).toBeGreaterThan(0);
      expect(spans(tid, 'send+wait'), name).toBe(spans(tid, 'compute'));
    }
    expect(doc.traceEvents.filter((e) => e.ph === 'i' && e.name === 'joined')).toHaveLength(2);
  });
});

describe('the strict Prometheus text reader of this test', () => {
  it('reads a well-formed exposition and refuses every kind of fault', () => {
    const good =
      '# HELP a_total A.\n# TYPE a_total counter\na_total{k="v\\"x"} 3\n\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 4\nh_count 2\n';
    const families = parsePrometheusText(good);
    expect(families.get('a_total')?.samples[0]).toEqual({ name: 'a_total', labels: { k: 'v"x' }, value: 3 });
    expect(families.get('h')?.samples).toHaveLength(4);
    const bad: Array<[string, RegExp]> = [
      ['# TYPE a counter\na 1', /newline/],
      ['a 1\n', /no TYPE line/],
      ['# TYPE a gauge\na one\n', /bad value/],
      ['# TYPE a gauge\na{k=v} 1\n', /not quoted/],
      ['# TYPE a gauge\na 1\na 2\n', /twice/],
      ['# TYPE a gauge\na{1k="v"} 1\n', /bad label name/],
      ['# TYPE a sometype\n', /unknown type/],
      [
        '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
        /ascend/,
      ],
      ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /cumulative/],
      ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', /_count 3/],
      ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ];
    for (const [text, error] of bad) expect(() => parsePrometheusText(text), text).toThrow(error);
  });
});

/** The dashboard's byte text ("3.5 KB", "812 B") in bytes. */
function parseBytes(text: string): number {
  const m = /^([\d.,]+) (K|M)?B$/.exec(text.trim());
  if (!m) throw new Error(`not a byte count: ${JSON.stringify(text)}`);
  return Number(m[1].replace(/,/g, '')) * (m[2] === 'M' ? 1e6 : m[2] === 'K' ? 1e3 : 1);
}
