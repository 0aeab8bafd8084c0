/**
 * A browser tab as a worker: the protocol package's WorkerSession (hello, the HMAC challenge–
 * response through Web Crypto, signed messages) driven over the browser's WebSocket, the data
 * set from IndexedDB or downloaded in chunks once, and steps computed by the tab's Web Workers.
 * Like `gradswarm worker` (remote-client.ts) it reconnects with backoff when the link drops or
 * the coordinator falls silent, and stops for good when refused or when the run is finished. A
 * tab cannot listen for chain peers: its `ready` names no peer port, so the star serves it.
 */
import { peerText } from '@gradswarm/core';
import {
  deriveTokenKey,
  normalizeDialled,
  ProtocolErrorCode,
  WorkerSession,
  type HmacKey,
  type WelcomeMessage,
  type WorkerAction,
} from '@gradswarm/protocol';
import { Backoff } from './backoff.js';
import { DatasetStore, matchesFingerprint } from './dataset-store.js';
import type { TabCompute } from './tab-compute.js';

/** What the page shows. */
export interface TabProgress {
  readonly state: 'connecting' | 'downloading' | 'training' | 'reconnecting' | 'refused' | 'finished' | 'stopped';
  /** One line: what happens or why it stopped. */
  readonly text: string;
  readonly steps: number;
  readonly samples: number;
  readonly samplesPerSecond: number;
  readonly downloadedBytes: number;
  readonly datasetBytes: number;
  /** Where the last session's data set came from: this browser's IndexedDB, or the coordinator. */
  readonly datasetFrom?: 'cache' | 'download';
}

export interface BrowserClientOptions {
  /** ws:// or wss:// URL of the coordinator's worker path. */
  readonly url: string;
  readonly token: string;
  readonly label: string;
  /** SHA-256 of the coordinator's certificate (hex) on wss: bound into the handshake as the coordinator binds it. */
  readonly certFingerprint: string;
  readonly compute: TabCompute;
  readonly store?: DatasetStore;
  readonly backoff?: Backoff;
  readonly onProgress: (p: TabProgress) => void;
}

type Outcome = { kind: 'finished' | 'refused' | 'dropped' | 'stopped'; message: string; productive: boolean };

const SILENT_HEARTBEATS = 3;
const PRE_WELCOME_SILENCE_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class BrowserClient {
  private tokenKey: HmacKey | null = null;
  private socket: WebSocket | null = null;
  private session: WorkerSession | null = null;
  private stopped = false;
  private progress: TabProgress = {
    state: 'connecting',
    text: 'connecting',
    steps: 0,
    samples: 0,
    samplesPerSecond: 0,
    downloadedBytes: 0,
    datasetBytes: 0,
  };

  constructor(private readonly o: BrowserClientOptions) {}

  private show(p: Partial<TabProgress>): void {
    this.progress = { ...this.progress, ...p };
    this.o.onProgress(this.progress);
  }

  /**
   * Leaves the run (a signed leave, then close 1000) and ends run(): the page calls it when the
   * tab closes. Synchronous as far as the session allows, so the leave is out before the page is.
   */
  stop(reason = 'browser tab closed'): void {
    this.stopped = true;
    const ws = this.socket;
    const session = this.session;
    if (!ws || !session || ws.readyState !== WebSocket.OPEN) return;
    void session.leave(reason).then((actions) => this.applyTransport(ws, actions));
  }

  private applyTransport(ws: WebSocket, actions: readonly WorkerAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send' && ws.readyState === WebSocket.OPEN) ws.send(a.bytes as Uint8Array<ArrayBuffer>);
      else if (a.kind === 'close' && ws.readyState < WebSocket.CLOSING) ws.close(a.code, a.reason);
    }
  }

  /** Serves the run until it is finished, the tab is refused or stopped, or the backoff gives up. */
  async run(): Promise<TabProgress> {
    const backoff = this.o.backoff ?? new Backoff();
    this.tokenKey = await deriveTokenKey(this.o.token);
    for (;;) {
      const outcome = await this.connectOnce();
      if (outcome.kind !== 'dropped' || this.stopped) {
        const state = this.stopped ? 'stopped' : outcome.kind === 'dropped' ? 'reconnecting' : outcome.kind;
        this.show({ state, text: outcome.message });
        return this.progress;
      }
      if (outcome.productive) backoff.reset();
      const wait = backoff.next();
      if (wait === null) {
        this.show({ state: 'stopped', text: `gave up reconnecting: ${outcome.message}` });
        return this.progress;
      }
      this.show({ state: 'reconnecting', text: `${outcome.message}; reconnecting in ${(wait / 1000).toFixed(1)} s` });
      await sleep(wait);
    }
  }

  private connectOnce(): Promise<Outcome> {
    return new Promise((resolve) => {
      const session = new WorkerSession({
        tokenKey: this.tokenKey!,
        dialled: normalizeDialled(this.o.url),
        threads: this.o.compute.threads,
        backend: 'wasm-simd',
        label: this.o.label,
        agent: 'browser',
      });
      this.session = session;
      const ws = new WebSocket(this.o.url);
      ws.binaryType = 'arraybuffer';
      this.socket = ws;
      this.show({ state: 'connecting', text: `connecting to ${this.o.url}` });
      let settled = false;
      let productive = false;
      let lastHeardMs = Date.now();
      let silenceMs = PRE_WELCOME_SILENCE_MS;
      let work: Promise<void> = Promise.resolve();
      let inbox: Promise<void> = Promise.resolve();
      let pendingChunk: ((bytes: Uint8Array) => void) | null = null;
      let windowStart = performance.now();
      let windowSamples = 0;
      const timer = setInterval(() => {
        const quiet = Date.now() - lastHeardMs;
        if (!settled && quiet > silenceMs) void session.silent(quiet).then(apply, fail);
      }, 250);
      const finish = (kind: Outcome['kind'], message: string): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        session.closed();
        pendingChunk = null;
        resolve({ kind, message, productive });
        if (ws.readyState < WebSocket.CLOSING) ws.close(1000, kind);
      };
      const fail = (err: unknown): void => {
        const text = (err as Error)?.message ?? String(err);
        void session
          .fail('GS_ERR_WORKER', text)
          .then(apply, () => undefined)
          .finally(() => finish('dropped', `this tab failed: ${text}`));
      };
      const apply = (actions: readonly WorkerAction[]): void => {
        this.applyTransport(ws, actions);
        for (const a of actions) {
          switch (a.kind) {
            case 'welcome': {
              silenceMs = SILENT_HEARTBEATS * a.welcome.heartbeatMs;
              const welcome = a.welcome;
              const fetchChunk = (offset: number, length: number): Promise<Uint8Array> =>
                new Promise((res) => {
                  pendingChunk = res;
                  void session.requestChunk(offset, length).then(apply, fail);
                });
              work = work
                .then(async () => {
                  await this.prepare(welcome, fetchChunk);
                  apply(await session.ready());
                  this.show({ state: 'training', text: `worker ${welcome.workerId}: waiting for steps` });
                })
                .catch(fail);
              break;
            }
            case 'chunk':
              pendingChunk?.(a.chunk.bytes);
              break;
            case 'step': {
              const { step, weights } = a;
              work = work
                .then(async () => {
                  if (settled) return;
                  const answer = await this.o.compute.serve(step, weights);
                  apply(await session.result(step, answer));
                  productive = true;
                  const samples = answer.counts.reduce((s, c) => s + c, 0);
                  windowSamples += samples;
                  const now = performance.now();
                  const rate = windowSamples / Math.max((now - windowStart) / 1000, 1e-3);
                  if (now - windowStart > 2000) {
                    windowStart = now;
                    windowSamples = 0;
                  }
                  this.show({
                    state: 'training',
                    text: `step ${step.step + 1}, epoch ${step.epoch + 1}`,
                    steps: this.progress.steps + 1,
                    samples: this.progress.samples + samples,
                    samplesPerSecond: rate,
                  });
                })
                .catch(fail);
              break;
            }
            case 'refused':
              finish('refused', refusalText(a.code, a.message));
              break;
            case 'finished':
              finish('finished', 'the run is finished; this tab may be closed');
              break;
            case 'lost':
              finish('dropped', a.message);
              break;
            case 'log':
              break;
          }
        }
      };
      ws.onopen = () => void session.open(this.o.certFingerprint).then(apply, fail);
      ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
        lastHeardMs = Date.now();
        const isBinary = typeof e.data !== 'string';
        const frame = isBinary ? new Uint8Array(e.data as ArrayBuffer) : new TextEncoder().encode(e.data as string);
        inbox = session.receive(frame, isBinary).then(apply, fail);
      };
      ws.onerror = () => undefined;
      ws.onclose = (e) => {
        const why = `connection closed (${e.code}${e.reason ? ` ${peerText(e.reason)}` : ''})`;
        void inbox.then(() => finish(this.stopped ? 'stopped' : 'dropped', why));
      };
    });
  }

  /** The data set from IndexedDB, or downloaded in chunks and stored; then the lanes. */
  private async prepare(
    welcome: WelcomeMessage,
    fetchChunk: (offset: number, length: number) => Promise<Uint8Array>,
  ): Promise<void> {
    const { fingerprint, bytes: total } = welcome.dataset;
    const store = this.o.store ?? new DatasetStore();
    let bytes = await store.get(fingerprint);
    if (bytes) {
      this.show({
        state: 'downloading',
        text: `data set ${fingerprint.slice(0, 12)} found in this browser's cache`,
        datasetFrom: 'cache',
        downloadedBytes: total,
        datasetBytes: total,
      });
    } else {
      bytes = new Uint8Array(total);
      for (let offset = 0; offset < total; ) {
        const chunk = await fetchChunk(offset, Math.min(welcome.chunkBytes, total - offset));
        if (chunk.length === 0 || offset + chunk.length > total)
          throw new Error('the coordinator sent a data chunk of the wrong size');
        bytes.set(chunk, offset);
        offset += chunk.length;
        this.show({
          state: 'downloading',
          text: `downloading data set ${fingerprint.slice(0, 12)}`,
          datasetFrom: 'download',
          downloadedBytes: offset,
          datasetBytes: total,
        });
      }
      if (!(await matchesFingerprint(fingerprint, bytes)))
        throw new Error(`the downloaded data set does not match fingerprint ${fingerprint}`);
      // A full or private-mode store must not stop the tab: it trains from memory.
      await store.put(fingerprint, bytes).catch(() => undefined);
    }
    await this.o.compute.prepare(welcome, bytes);
  }
}

/** A refusal as the page says it; a backend refusal names the flag a tab needs. */
export function refusalText(code: string, message: string): string {
  if (code === ProtocolErrorCode.BACKEND_MISMATCH)
    return `${message} — a browser tab computes with the wasm kernels only: start the run with --kernel wasm to let tabs join a --reproducible run`;
  return message;
}
