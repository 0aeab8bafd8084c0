/**
 * Browser tabs as workers (issue 13 item 4): headless Chromium opens the coordinator's /join
 * page, which runs the wasm kernels in Web Workers and speaks the protocol over WebSocket.
 * Two tabs and one `gradswarm worker`, `--kernel wasm` everywhere, train a model byte-identical
 * to `train --kernel wasm` in reproducible mode; a tab closed mid-run is recovered like a killed
 * worker and the model is still byte-identical; a tab joins over HTTPS and shows the certificate
 * it binds; a wrong token, and a reproducible run on other kernels, are refused on the page.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, REPO_ROOT, removeTempDir, runCli } from './helpers/cli.js';
import { getStatus } from './helpers/coordinator.js';
import { launchChromium, NO_CHROMIUM } from './helpers/chromium.js';
import { killAll, startCoordinator, startWorker, type Running } from './helpers/processes.js';
import { hasOpenssl, writeCertificate } from './helpers/certificates.js';

const TOKEN = 'browser-join-integration-token-0123456789';
const RUN = ['--dataset', DIGITS_SPEC, '--layers', '16', '--batch-size', '100', '--seed', '3'];
const REPRODUCIBLE = ['--kernel', 'wasm', '--reproducible', '8'];

if (NO_CHROMIUM)
  console.warn('skipping browser-join: /usr/bin/chromium not found (apt-get install -y chromium; .ci/run does)');

/** The page's state and its one line of detail. */
async function pageState(page: Page): Promise<{ state: string; detail: string }> {
  return page.evaluate(() => ({
    state: document.body.dataset.state ?? '',
    detail: document.getElementById('detail')?.textContent ?? '',
  }));
}

/** Polls the page until its state matches `want` (or fails with the last state seen). */
async function untilState(page: Page, want: RegExp, timeoutMs = 60_000): Promise<{ state: string; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = { state: '', detail: '' };
  while (Date.now() < deadline) {
    last = await pageState(page);
    if (want.test(last.state)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the page never reached ${want}; last: ${last.state}: ${last.detail}`);
}

/** The join URL the coordinator printed. */
async function joinUrl(c: Running): Promise<string> {
  return (await c.waitFor(/join from a browser: (\S+)/))[1];
}

/** `?threads=N` put before the fragment. */
const withThreads = (url: string, n: number): string => url.replace('/join#', `/join?threads=${n}#`);

/** Polls /status until `step` steps are done. */
async function untilStep(httpUrl: string, step: number): Promise<void> {
  for (;;) {
    const s = await getStatus(httpUrl);
    if (s.step >= step) return;
    if (s.state === 'finished') throw new Error(`the run finished before step ${step}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(NO_CHROMIUM || NO_DIGITS)('a browser tab joins as a worker', () => {
  let dir: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const newPage = async (options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> => {
    // One context per tab: each has its own IndexedDB, so each downloads the data set.
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.warn(`page error: ${e.message}`));
    return page;
  };

  beforeAll(async () => {
    dir = await makeTempDir();
    browser = await launchChromium();
  });
  afterEach(async () => {
    killAll();
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await removeTempDir(dir);
  });

  /** `train --kernel wasm --reproducible 8` on one thread: the bytes every distributed run must repeat. */
  async function reference(name: string, epochs: number): Promise<Buffer> {
    const out = join(dir, `${name}-ref.json`);
    const args = ['train', ...RUN, '--epochs', String(epochs), ...REPRODUCIBLE, '--threads', '1', '--out', out];
    const t = await runCli([...args, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    return readFile(out);
  }

  it('two tabs and a Node worker train the model of train --kernel wasm --reproducible 8, byte for byte', async () => {
    const expected = await reference('three', 2);
    const out = join(dir, 'three.json');
    const c = await startCoordinator([
      ...RUN,
      '--epochs',
      '2',
      ...REPRODUCIBLE,
      '--local-threads',
      '0',
      '--min-workers',
      '3',
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const url = await joinUrl(c);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join#token=/);
    const tabs = [await newPage(), await newPage()];
    await tabs[0].goto(withThreads(url, 1));
    await tabs[1].goto(withThreads(url, 2));
    const node = startWorker(c.url, TOKEN, ['--threads', '1', '--kernel', 'wasm', '--data-cache', join(dir, 'cache')]);
    await c.waitFor(/ready; 3 ready|3 ready/);
    const status = await getStatus(c.url.replace(/^ws/, 'http'));
    const kinds = status.workers.map((w) => (w as unknown as { kind: string }).kind).sort();
    expect(kinds).toEqual(['browser', 'browser', 'node']);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await node.exited, node.stderr()).toBe(0);
    // A tab cannot listen for peers: the chain holds the Node worker alone, the star serves the tabs.
    expect(c.stderr().match(/^chain: (.*)$/m)?.[1]).toMatch(/^worker \d → coordinator$/);
    for (const tab of tabs) {
      const end = await untilState(tab, /finished|refused|stopped/);
      expect(end.state, end.detail).toBe('finished');
      expect(Number(await tab.textContent('#steps'))).toBeGreaterThan(0);
    }
    expect(await tabs[1].textContent('#threads')).toBe('2');
    // GRADSWARM_WRITE_DOCS_SCREENSHOT=1 writes the README's picture of a tab that served a run.
    if (process.env.GRADSWARM_WRITE_DOCS_SCREENSHOT === '1')
      await tabs[1].screenshot({ path: join(REPO_ROOT, 'docs', 'join-page.png'), fullPage: true });
    expect((await readFile(out)).equals(expected)).toBe(true);
  });

  it('recovers a tab closed mid-run like a killed worker, still byte-identical', async () => {
    const epochs = 40;
    const expected = await reference('closed', epochs);
    const out = join(dir, 'closed.json');
    const c = await startCoordinator([
      ...RUN,
      '--epochs',
      String(epochs),
      ...REPRODUCIBLE,
      '--local-threads',
      '0',
      '--min-workers',
      '3',
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const url = await joinUrl(c);
    const [victim, survivor] = [await newPage(), await newPage()];
    await victim.goto(withThreads(url, 1));
    await survivor.goto(withThreads(url, 1));
    const node = startWorker(c.url, TOKEN, ['--threads', '1', '--kernel', 'wasm', '--data-cache', join(dir, 'cache')]);
    await untilStep(c.url.replace(/^ws/, 'http'), 10);
    await victim.close({ runBeforeUnload: true });
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await node.exited, node.stderr()).toBe(0);
    expect((await untilState(survivor, /finished|refused|stopped/)).state).toBe('finished');
    // The tab said why it went, in a signed leave sent as the page closed (its shards of a step in
    // flight, if any, are recomputed by the others, as a killed worker's are).
    expect(c.stderr()).toMatch(/worker \d left: browser tab closed/);
    expect((await readFile(out)).equals(expected)).toBe(true);
  });

  it('reconnects with backoff to a coordinator restarted with --resume, the data set from IndexedDB', async () => {
    const epochs = 40;
    const expected = await reference('resumed', epochs);
    const out = join(dir, 'resumed.json');
    const common = [
      ...RUN,
      '--epochs',
      String(epochs),
      ...REPRODUCIBLE,
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
      '--checkpoint',
      join(dir, 'ckpt'),
      '--out',
      out,
    ];
    const c = await startCoordinator(common);
    const url = await joinUrl(c);
    const tab = await newPage();
    await tab.goto(withThreads(url, 1));
    await untilStep(c.url.replace(/^ws/, 'http'), 10);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(130);
    await untilState(tab, /reconnecting/);
    expect(await tab.evaluate(() => document.body.dataset.datasetFrom)).toBe('download');
    const port = new URL(c.url).port;
    const r = await startCoordinator([...common, '--resume', '--port', port]);
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stderr()).toMatch(/resuming at epoch \d+, step \d+/);
    expect(r.stderr()).toMatch(/worker 1 \(browser [^)]*\) joined/);
    const end = await untilState(tab, /finished|refused|stopped/);
    expect(end.state, end.detail).toBe('finished');
    // The second session took the data set from IndexedDB, by its fingerprint.
    expect(await tab.evaluate(() => document.body.dataset.datasetFrom)).toBe('cache');
    expect((await readFile(out)).equals(expected)).toBe(true);
  });

  it.skipIf(!hasOpenssl())('joins over HTTPS and shows the certificate fingerprint it binds', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeCertificate(cert, key);
    const c = await startCoordinator([
      ...RUN,
      '--epochs',
      '1',
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    const url = await joinUrl(c);
    const [, pin] = url.match(/&tls-fingerprint=([0-9a-f]{64})/) ?? [];
    expect(url.startsWith('https://127.0.0.1:'), url).toBe(true);
    expect(pin).toBeDefined();
    // A self-signed certificate: the person accepts it in the browser; the page then shows it.
    const tab = await newPage({ ignoreHTTPSErrors: true });
    await tab.goto(withThreads(url, 1));
    expect(await c.exited, c.stderr()).toBe(0);
    const end = await untilState(tab, /finished|refused|stopped/);
    expect(end.state, end.detail).toBe('finished');
    expect((await tab.textContent('#cert'))?.replace(/:/g, '')).toBe(pin);
    expect(c.stderr()).toMatch(/worker 1 \(browser [^)]*\) joined/);
  });

  it('shows the refusal on the page for a wrong token, and for a reproducible run without --kernel wasm', async () => {
    const c = await startCoordinator([
      ...RUN,
      '--epochs',
      '1',
      '--kernel',
      'reference',
      '--reproducible',
      '4',
      // Waits for a worker that never comes: the two tabs are refused.
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
    ]);
    const url = await joinUrl(c);
    expect(c.stderr()).toMatch(/join from a browser: \S+ \(a --reproducible run takes tabs only with --kernel wasm\)/);
    const wrong = await newPage();
    await wrong.goto(withThreads(url.replace(/#token=[^&]+/, '#token=not-the-run-token-at-all-0123456789abc'), 1));
    const refused = await untilState(wrong, /refused|stopped|finished/);
    expect(refused.state).toBe('refused');
    expect(refused.detail).toMatch(/token/i);
    const backend = await newPage();
    await backend.goto(withThreads(url, 1));
    const mismatch = await untilState(backend, /refused|stopped|finished/);
    expect(mismatch.state).toBe('refused');
    expect(mismatch.detail).toMatch(/--kernel wasm/);
    c.child.kill('SIGTERM');
  });
});
