/**
 * The remote worker (`gradswarm worker`): joins a coordinator over WebSocket, proves it knows
 * the token (HMAC challenge–response; the token never crosses the wire) and checks that the
 * coordinator knows it too, gets the model, config and data-set descriptor, takes the data set
 * from its cache or downloads it in chunks once, then serves steps with its own thread pool.
 * If the link drops it reconnects with exponential backoff; it stops for good when refused
 * (bad token, version mismatch) or when the coordinator says the run is finished.
 */
import { availableParallelism } from 'node:os';
import { parameterCount, selectBackend, type GradientStats } from '@gradswarm/core';
import { decodeDataset, epochPermutation } from '@gradswarm/data';
import {
  authMac,
  bytesToFloat32,
  createNonce,
  decodeMessage,
  DEFAULT_PROTOCOL_LIMITS,
  encodeMessage,
  float32ToBytes,
  limitsForModel,
  PROTOCOL_VERSION,
  ProtocolError,
  verifyMac,
  welcomeMac,
  type Message,
  type ProtocolLimits,
  type StepMessage,
  type WelcomeMessage,
} from '@gradswarm/protocol';
import WebSocket from 'ws';
import { classifyConnectError, explainConnectFailure, type ConnectFailure } from './connect-errors.js';
import { DatasetCache, fingerprintBytes } from './dataset-cache.js';
import { computeEach, computeSum } from './lane-compute.js';
import { LocalPool } from './local-pool.js';

export interface WorkerClientOptions {
  /** ws:// or wss:// address of the coordinator. */
  readonly url: string;
  readonly token: string;
  /** Threads to compute with [number of cores]. */
  readonly threads?: number;
  /** Kernel backend name [auto]. */
  readonly backend?: string;
  /** Shown in the coordinator's logs [hostname-less "worker"]. */
  readonly label?: string;
  /** Directory of cached data sets; none: keep downloads in memory only. */
  readonly dataCacheDir?: string;
  /** PEM certificate(s) to trust for wss:// (e.g. a self-signed coordinator certificate). */
  readonly ca?: string | Buffer;
  /** First reconnect delay [500 ms]; doubles up to reconnectMaxMs [10 000 ms]. */
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  /** Give up after this long without a welcome from the coordinator [60 000 ms]. */
  readonly giveUpAfterMs?: number;
  readonly log?: (line: string) => void;
}

export type WorkerExitReason = 'finished' | 'refused' | 'stopped' | 'unreachable';

export interface WorkerExit {
  readonly reason: WorkerExitReason;
  readonly message: string;
  /** Step messages served over the worker's whole life. */
  readonly steps: number;
}

interface SessionOutcome {
  readonly kind: 'finished' | 'refused' | 'dropped' | 'stopped';
  readonly message: string;
  readonly welcomed: boolean;
  /** A probe that can say more about a failed connection (connect-errors.ts). */
  readonly probe?: ConnectFailure['probe'];
}

/** Size of the socket's frame limit before the welcome tells the model size. */
const CLIENT_MAX_PAYLOAD_BYTES = 1 << 30;
const REFUSAL_CODES = new Set(['GS_ERR_AUTH', 'GS_ERR_PROTOCOL_VERSION', 'GS_ERR_BACKEND_MISMATCH']);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WorkerClient {
  private readonly options: WorkerClientOptions;
  private readonly log: (line: string) => void;
  private readonly backend: string;
  private readonly threads: number;
  private pool: LocalPool | null = null;
  private poolKey = '';
  private weights = new Float32Array(0);
  private version = -1;
  private order: { epoch: number; values: Uint32Array } | null = null;
  private scratch: Float32Array[] = [];
  private welcome: WelcomeMessage | null = null;
  /** Parameters of the welcomed model (validates weights and gradients); unknown before a welcome. */
  private parameterCount: number | undefined = undefined;
  private limits: ProtocolLimits = DEFAULT_PROTOCOL_LIMITS;
  private socket: WebSocket | null = null;
  private stopped = false;
  private steps = 0;

  /** @throws RangeError for a bad thread count or URL */
  constructor(options: WorkerClientOptions) {
    if (!/^wss?:\/\//.test(options.url)) throw new RangeError(`options.url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    if (typeof options.token !== 'string' || options.token.length === 0) throw new TypeError('options.token must be a non-empty string');
    this.options = options;
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.backend = selectBackend(options.backend).name;
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new RangeError(`options.threads must be a positive integer, got ${this.threads}`);
  }

  /** Leaves the coordinator and ends run() after the current step. */
  stop(): void {
    this.stopped = true;
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.send({ t: 'leave', reason: 'worker stopped' });
      this.socket.close(1000, 'worker stopped');
    }
  }

  /** Serves the coordinator until the run is finished, the worker is refused or stopped. */
  async run(): Promise<WorkerExit> {
    const initial = this.options.reconnectInitialMs ?? 500;
    const max = this.options.reconnectMaxMs ?? 10_000;
    const giveUp = this.options.giveUpAfterMs ?? 60_000;
    let delay = initial;
    let lastWelcome = Date.now();
    try {
      for (;;) {
        const outcome = await this.explain(await this.session());
        if (outcome.kind !== 'dropped') return { reason: outcome.kind, message: outcome.message, steps: this.steps };
        if (outcome.welcomed) {
          delay = initial;
          lastWelcome = Date.now();
        }
        if (this.stopped) return { reason: 'stopped', message: 'worker stopped', steps: this.steps };
        if (Date.now() - lastWelcome > giveUp) {
          return { reason: 'unreachable', message: `no coordinator at ${this.options.url} for ${Math.round(giveUp / 1000)} s (${outcome.message})`, steps: this.steps };
        }
        const wait = Math.min(delay, Math.max(0, giveUp - (Date.now() - lastWelcome)));
        this.log(`connection lost (${outcome.message}); reconnecting in ${wait} ms`);
        await sleep(wait);
        delay = Math.min(delay * 2, max);
      }
    } finally {
      await this.pool?.close();
    }
  }

  /** A failed connection explained by a probe of the port, when its error asks for one. */
  private async explain(outcome: SessionOutcome): Promise<SessionOutcome> {
    if (!outcome.probe || this.stopped) return outcome;
    const failure = await explainConnectFailure({ kind: outcome.kind === 'refused' ? 'refused' : 'dropped', message: outcome.message, probe: outcome.probe }, this.options.url, this.options.ca);
    return { kind: failure.kind, message: failure.message, welcomed: outcome.welcomed };
  }

  private send(message: Message): void {
    this.socket?.send(encodeMessage(message));
  }

  private session(): Promise<SessionOutcome> {
    return new Promise((resolve) => {
      let welcomed = false;
      let settled = false;
      let nonce: Uint8Array | null = null;
      let cnonce: Uint8Array | null = null;
      let queue = Promise.resolve();
      let pendingChunk: ((bytes: Uint8Array) => void) | null = null;
      const finish = (kind: SessionOutcome['kind'], message: string, probe?: ConnectFailure['probe']): void => {
        if (settled) return;
        settled = true;
        resolve({ kind, message, welcomed, probe });
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      };
      const ws = new WebSocket(this.options.url, { maxPayload: CLIENT_MAX_PAYLOAD_BYTES, ca: this.options.ca, handshakeTimeout: 10_000 });
      this.socket = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => this.send({ t: 'hello', version: PROTOCOL_VERSION, threads: this.threads, backend: this.backend, label: this.options.label ?? 'worker' }));
      ws.on('error', (err: Error & { code?: string }) => {
        // A wrong scheme or certificate will not get better by retrying (connect-errors.ts).
        const failure = classifyConnectError(err, this.options.url, this.options.ca !== undefined);
        finish(failure.kind, failure.message, failure.probe);
      });
      ws.on('close', (code, reason) => finish(this.stopped ? 'stopped' : 'dropped', `closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`));
      ws.on('message', (data: Buffer) => {
        let message: Message;
        try {
          message = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.limits, { parameterCount: this.parameterCount });
        } catch (err) {
          const e = err as ProtocolError;
          this.log(`refusing a message from the coordinator: ${e.message}`);
          ws.close(e.closeCode ?? 1002, e.message.slice(0, 120));
          return;
        }
        switch (message.t) {
          case 'data-chunk':
            pendingChunk?.(message.bytes);
            return;
          case 'heartbeat':
            this.send({ t: 'heartbeat', timeMs: Date.now() });
            return;
          case 'error':
            if (REFUSAL_CODES.has(message.code)) finish('refused', `the coordinator refused this worker: ${message.message}`);
            else this.log(`coordinator reported ${message.code}: ${message.message}`);
            return;
          case 'leave':
            finish(message.reason === 'finished' ? 'finished' : 'dropped', message.reason === 'finished' ? 'the run is finished' : `coordinator left: ${message.reason}`);
            return;
          default:
            break;
        }
        queue = queue
          .then(async () => {
            if (settled) return;
            if (message.t === 'challenge') {
              nonce = message.nonce;
              cnonce = createNonce();
              this.send({ t: 'auth', mac: authMac(this.options.token, nonce, cnonce), cnonce });
            } else if (message.t === 'welcome') {
              if (!nonce || !cnonce || !verifyMac(welcomeMac(this.options.token, nonce, cnonce), message.mac)) {
                finish('refused', 'the coordinator could not prove it knows the token - help: check --token and --connect');
                return;
              }
              welcomed = true;
              await this.prepare(message, (offset, length) => {
                return new Promise<Uint8Array>((res) => {
                  pendingChunk = res;
                  this.send({ t: 'data-request', fingerprint: message.dataset.fingerprint, offset, length });
                });
              });
              this.send({ t: 'ready', fingerprint: message.dataset.fingerprint });
            } else if (message.t === 'step') {
              await this.serveStep(message);
            }
          })
          .catch((err: unknown) => {
            const text = (err as Error)?.message ?? String(err);
            this.log(`worker error: ${text}`);
            if (!settled) {
              this.send({ t: 'error', code: (err as { code?: string }).code ?? 'GS_ERR_WORKER', message: text.slice(0, 500) });
              finish('dropped', text);
            }
          });
      });
    });
  }

  /** Gets the data set (cache or download) and a thread pool for the welcomed run. */
  private async prepare(welcome: WelcomeMessage, fetchChunk: (offset: number, length: number) => Promise<Uint8Array>): Promise<void> {
    this.welcome = welcome;
    const P = parameterCount(welcome.spec.layers);
    this.parameterCount = P;
    this.limits = limitsForModel(P, DEFAULT_PROTOCOL_LIMITS.maxShardsPerStep);
    const { fingerprint, bytes: total } = welcome.dataset;
    const key = `${fingerprint}|${JSON.stringify(welcome.spec)}|${welcome.config.blockRows}`;
    if (this.pool && this.poolKey === key) return;
    const cache = this.options.dataCacheDir ? new DatasetCache(this.options.dataCacheDir) : null;
    let bytes = cache?.get(fingerprint) ?? null;
    if (bytes) {
      this.log(`data set ${fingerprint.slice(0, 12)} found in the cache`);
    } else {
      const started = performance.now();
      bytes = new Uint8Array(total);
      for (let offset = 0; offset < total; ) {
        const chunk = await fetchChunk(offset, Math.min(welcome.chunkBytes, total - offset));
        if (chunk.length === 0 || offset + chunk.length > total) throw new ProtocolError('GS_ERR_PROTOCOL_INVALID', 'the coordinator sent a data chunk of the wrong size');
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      if (fingerprintBytes(bytes) !== fingerprint) throw new ProtocolError('GS_ERR_PROTOCOL_INVALID', `the downloaded data set does not match fingerprint ${fingerprint}`);
      cache?.put(fingerprint, bytes);
      this.log(`downloaded data set ${fingerprint.slice(0, 12)} (${(total / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
    const data = decodeDataset(bytes, `data set ${fingerprint}`);
    await this.pool?.close();
    this.pool = new LocalPool({ spec: welcome.spec, data, backend: this.backend, threads: this.threads, blockRows: welcome.config.blockRows });
    this.poolKey = key;
    this.weights = new Float32Array(P);
    this.version = -1;
    this.order = null;
    this.scratch = [];
  }

  private orderFor(epoch: number): Uint32Array {
    const welcome = this.welcome!;
    if (this.order?.epoch !== epoch) {
      const n = welcome.dataset.count;
      const values = welcome.config.shuffle ? epochPermutation(welcome.config.seed, epoch, n) : Uint32Array.from({ length: n }, (_, i) => i);
      this.order = { epoch, values };
    }
    return this.order.values;
  }

  private buffers(n: number): Float32Array[] {
    while (this.scratch.length < n) this.scratch.push(new Float32Array(this.weights.length));
    return this.scratch.slice(0, n);
  }

  private async serveStep(step: StepMessage): Promise<void> {
    const pool = this.pool;
    if (!pool) throw new ProtocolError('GS_ERR_PROTOCOL_UNEXPECTED', 'a step arrived before the data set was ready');
    if (step.weights) {
      this.weights.set(bytesToFloat32(step.weights));
      this.version = step.version;
    } else if (step.version !== this.version) {
      throw new ProtocolError('GS_ERR_PROTOCOL_STALE', `step ${step.step} needs weights version ${step.version} but this worker holds ${this.version}`);
    }
    const started = performance.now();
    const task = { weightsVersion: step.version, weights: this.weights, epoch: step.epoch, batch: step.batch, order: this.orderFor(step.epoch) };
    let grads: Float32Array[];
    let stats: GradientStats[];
    if (step.reduce === 'sum') {
      const lanes = pool.lanes;
      const [out, ...scratch] = this.buffers(lanes.length + 1);
      stats = [await computeSum(lanes, task, step.shards, out, scratch)];
      grads = [out];
    } else {
      grads = this.buffers(step.shards.length);
      stats = await computeEach(pool.lanes, task, step.shards, grads);
    }
    this.steps++;
    this.send({
      t: 'result',
      step: step.step,
      version: step.version,
      grads: grads.map((g) => float32ToBytes(g)),
      lossSums: stats.map((s) => s.lossSum),
      counts: stats.map((s) => s.count),
      computeMs: performance.now() - started,
    });
  }
}
