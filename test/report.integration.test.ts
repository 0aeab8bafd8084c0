/**
 * The HTML reports in a real browser: a training report written by `train --report` and
 * rebuilt by `gradswarm report METRICS.json`, and a scale report rendered by `gradswarm report`
 * from a hand-made benchmark fixture, each opened in headless Chromium (Debian's `chromium`,
 * driven by playwright-core, which downloads no browser). Every `[data-chart]` must render with
 * a non-empty size, every embedded PNG must decode, the page must log no error (a CSP
 * violation would) and request nothing but its own file. Screenshots go to a temp dir and one
 * per report to /tmp/report-shots/ for a human to look at.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIGITS_SPEC,
  expectUsageError,
  makeTempDir,
  NO_DIGITS,
  REPO_ROOT,
  removeTempDir,
  runCli,
} from './helpers/cli.js';

/** Where Debian's `chromium` package puts the browser (.ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = !existsSync(CHROMIUM);
if (NO_CHROMIUM)
  console.warn(
    `skipping the browser report tests: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium; .ci/run does)`,
  );
if (NO_DIGITS) console.warn('skipping the training report in the browser: the digits data set is missing');

/** A copy of each report's screenshot lands here for review. */
const REVIEW_SHOTS = '/tmp/report-shots';
const SCALE_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'scale-bench.json');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const TRAINING_CHARTS = [
  'minibatch-cost',
  'epoch-cost',
  'accuracy',
  'confusion',
  'samples',
  'misclassified',
  'first-layer',
];
const SCALE_CHARTS = ['speedup', 'efficiency', 'step-time', 'bytes', 'projection', 'synthetic'];

interface Rendered {
  charts: Array<{ name: string; width: number; height: number; svgWidth: number; svgHeight: number }>;
  images: { count: number; decoded: number; sizes: string[] };
  requests: string[];
  errors: string[];
}

let dir: string;
let context: BrowserContext | undefined;

/** Opens `file` in a fresh page, measures every chart, decodes every image, screenshots it. */
async function render(file: string, shot: string): Promise<Rendered> {
  const page = await context!.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => {
        const box = el.getBoundingClientRect();
        const svg = el.querySelector('svg')?.getBoundingClientRect();
        return {
          name: el.getAttribute('data-chart') ?? '',
          width: box.width,
          height: box.height,
          svgWidth: svg?.width ?? 0,
          svgHeight: svg?.height ?? 0,
        };
      }),
    );
    // Decode every embedded PNG with the browser's own decoder (CSP allows data: images).
    const images = await page.$$eval('image[data-image]', async (els) => {
      const sizes = await Promise.all(
        els.map(async (el) => {
          const img = el.ownerDocument.createElement('img');
          img.src = el.getAttribute('href') ?? '';
          try {
            await img.decode();
            return `${img.naturalWidth}x${img.naturalHeight}`;
          } catch {
            return 'failed';
          }
        }),
      );
      return { count: els.length, decoded: sizes.filter((s) => s !== 'failed').length, sizes: [...new Set(sizes)] };
    });
    await page.screenshot({ path: shot, fullPage: true });
    return { charts, images, requests, errors };
  } finally {
    await page.close();
  }
}

/** Copies a screenshot to REVIEW_SHOTS; a failure to do so does not fail the test. */
function keepForReview(shot: string, name: string): void {
  try {
    mkdirSync(REVIEW_SHOTS, { recursive: true });
    copyFileSync(shot, join(REVIEW_SHOTS, name));
  } catch (err) {
    console.warn(`could not copy ${shot} to ${REVIEW_SHOTS}: ${(err as Error).message}`);
  }
}

function expectRendered(result: Rendered, names: readonly string[]): void {
  expect(result.charts.map((c) => c.name)).toEqual(names);
  for (const c of result.charts) {
    expect(c.width, c.name).toBeGreaterThan(0);
    expect(c.height, c.name).toBeGreaterThan(0);
    expect(c.svgWidth, `${c.name} svg`).toBeGreaterThan(0);
    expect(c.svgHeight, `${c.name} svg`).toBeGreaterThan(0);
  }
  expect(result.images.decoded).toBe(result.images.count);
  expect(result.errors).toEqual([]);
  const offline = (url: string): boolean => /^(file|data):/.test(url) || /^https?:\/\/127\.0\.0\.1[:/]/.test(url);
  expect(result.requests.filter((u) => !offline(u))).toEqual([]);
  expect(result.requests.length).toBeGreaterThan(0);
}

beforeAll(async () => {
  dir = await makeTempDir();
  if (NO_CHROMIUM) return;
  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
});

afterAll(async () => {
  await context?.close();
  await removeTempDir(dir);
});

describe.skipIf(NO_CHROMIUM)('reports in headless Chromium', () => {
  describe.skipIf(NO_DIGITS)('training report', () => {
    let metrics: string;
    let trained: string;

    beforeAll(async () => {
      metrics = join(dir, 'metrics.json');
      trained = join(dir, 'train-report.html');
      const result = await runCli([
        'train',
        '--dataset',
        DIGITS_SPEC,
        '--layers',
        '16',
        '--epochs',
        '5',
        '--no-progress',
        '--metrics',
        metrics,
        '--report',
        trained,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`report written to ${trained}`);
    });

    it('train --report writes a page where all seven charts render and every digit image decodes', async () => {
      const shot = join(dir, 'training.png');
      const result = await render(trained, shot);
      expectRendered(result, TRAINING_CHARTS);
      // 100 samples + the misclassified ones + 16 weight tiles, all 8×8.
      expect(result.images.count).toBeGreaterThan(116);
      expect(result.images.sizes).toEqual(['8x8']);
      keepForReview(shot, 'training-report.png');
    });

    it('gradswarm report rebuilds the same page from the metrics file', async () => {
      const rebuilt = join(dir, 'rebuilt-report.html');
      const result = await runCli(['report', metrics, '--out', rebuilt]);
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(rebuilt, 'utf8')).toBe(await readFile(trained, 'utf8'));
      const shot = join(dir, 'rebuilt.png');
      expectRendered(await render(rebuilt, shot), TRAINING_CHARTS);
    });
  });

  describe('scale report', () => {
    it('renders speedup, efficiency, step time, bytes, projection and synthetic charts from the fixture', async () => {
      const out = join(dir, 'scale-report.html');
      const result = await runCli(['report', SCALE_FIXTURE, '--out', out]);
      expect(result.code, result.stderr).toBe(0);
      const shot = join(dir, 'scale.png');
      expectRendered(await render(out, shot), SCALE_CHARTS);
      keepForReview(shot, 'scale-report.png');
    });

    it('leaves out the projection chart when the benchmark has none', async () => {
      const doc = JSON.parse(await readFile(SCALE_FIXTURE, 'utf8')) as Record<string, unknown>;
      delete doc.projection;
      delete doc.synthetic;
      const input = join(dir, 'scale-minimal.json');
      const out = join(dir, 'scale-minimal.html');
      await writeFile(input, JSON.stringify(doc));
      const result = await runCli(['report', input, '--out', out]);
      expect(result.code, result.stderr).toBe(0);
      expectRendered(await render(out, join(dir, 'scale-minimal.png')), [
        'speedup',
        'efficiency',
        'step-time',
        'bytes',
      ]);
    });
  });
});

describe('gradswarm report', () => {
  it('refuses a file that is not a report source with one line and exit 2', async () => {
    const bad = join(dir, 'not-metrics.json');
    await writeFile(bad, '{"hello":"world"}\n');
    expectUsageError(
      await runCli(['report', bad, '--out', join(dir, 'x.html')]),
      /not-metrics\.json is neither a metrics document .* - help: /,
    );
  });

  it('refuses a missing file with one line and exit 2', async () => {
    expectUsageError(
      await runCli(['report', join(dir, 'missing.json')]),
      /cannot read .*missing\.json: no such file or directory - help/,
    );
  });
});
