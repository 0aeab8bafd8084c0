/**
 * The /join page's script (bundled into /join/app.js by scripts/bundle.mjs): reads the token
 * from the fragment and the thread count from the query, fetches the wasm kernels, starts the
 * Web Workers and the client, shows the tab's progress, and leaves the run when the tab closes.
 */
import { BrowserClient, type TabProgress } from './browser-client.js';
import { parseJoinFragment, threadsFor } from './join-fragment.js';
import { JOIN_LANE_PATH, JOIN_WASM_PATH } from './join-page.js';
import { macsSynchronousFromNowOn } from './leave-now.js';
import { TabCompute } from './tab-compute.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function show(p: Pick<TabProgress, 'state' | 'text'> & Partial<TabProgress>): void {
  document.body.dataset.state = p.state;
  if (p.datasetFrom) document.body.dataset.datasetFrom = p.datasetFrom;
  $('state').textContent = p.state;
  $('detail').textContent = p.text;
  if (p.steps !== undefined) $('steps').textContent = String(p.steps);
  if (p.samples !== undefined) $('samples').textContent = String(p.samples);
  if (p.samplesPerSecond) $('rate').textContent = p.samplesPerSecond.toFixed(0);
  if (p.datasetBytes) {
    const bar = $('download') as HTMLProgressElement;
    bar.max = p.datasetBytes;
    bar.value = p.downloadedBytes ?? 0;
  }
}

async function main(): Promise<void> {
  const fragment = parseJoinFragment(location.hash);
  if ('error' in fragment) return show({ state: 'refused', text: fragment.error });
  const threads = threadsFor(location.search, navigator.hardwareConcurrency);
  if (typeof threads !== 'number') return show({ state: 'refused', text: threads.error });
  const served = document.body.dataset.certFingerprint ?? '';
  if (fragment.tlsFingerprint && fragment.tlsFingerprint !== served)
    return show({
      state: 'refused',
      text: `this page came with certificate ${served || '(none: plain http)'}, not the ${fragment.tlsFingerprint} of the join link - help: open the link the coordinator printed`,
    });
  $('threads').textContent = String(threads);
  // The fragment is not needed any more: keep the token out of the address bar and history.
  history.replaceState(null, '', location.pathname + location.search);
  const res = await fetch(JOIN_WASM_PATH);
  if (!res.ok) return show({ state: 'refused', text: `GET ${JOIN_WASM_PATH} answered ${res.status}` });
  const wasm = new Uint8Array(await res.arrayBuffer());
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  const client = new BrowserClient({
    url,
    token: fragment.token,
    label: `browser ${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/\d+/)?.[0] ?? 'tab'}`,
    certFingerprint: served,
    compute: new TabCompute(threads, JOIN_LANE_PATH, wasm),
    onProgress: show,
  });
  const leave = (): void => {
    macsSynchronousFromNowOn();
    client.stop();
  };
  addEventListener('pagehide', leave);
  addEventListener('beforeunload', leave);
  await client.run();
}

main().catch((err: unknown) =>
  show({ state: 'stopped', text: `this tab failed: ${(err as Error)?.message ?? String(err)}` }),
);
