/**
 * The remote worker (`gradswarm worker`): joins a coordinator over WebSocket and serves steps
 * with its own thread pool. The protocol itself — hello, the HMAC challenge–response bound to
 * this connection (the token never crosses the wire), the welcome's check, signed messages —
 * is the protocol package's WorkerSession; this file moves frames in and out, takes the data
 * set from its cache or downloads it in chunks once, and computes. If the link drops, or the
 * coordinator is silent for three heartbeat intervals (a host that lost power sends no FIN), it
 * reconnects with exponential backoff; it stops for good when refused (bad token, version
 * mismatch, a certificate that is not the pinned one) or when the coordinator says the run is
 * finished.
 */
import { availableParallelism } from 'node:os';
import { parameterCount, peerText, selectBackend, type GradientStats } from '@gradswarm/core';
import { decodeDataset, epochPermutation } from '@gradswarm/data';
import type { TLSSocket } from 'node:tls';
import {
  deriveTokenKey,
  normalizeDialled,
  normalizeFingerprint,
  ProtocolError,
  readTensor,
  WorkerSession,
  type HmacKey,
  type StepMessage,
  type WorkerResult,
  type WireTensor,
  type WelcomeMessage,
  type WireChainRole,
  type WorkerAction,
} from '@gradswarm/protocol';
import WebSocket from 'ws';
import { classifyConnectError, explainConnectFailure, type ConnectFailure } from './connect-errors.js';
import { fetchDataset } from './dataset-fetch.js';
import { setFrameLimit } from './frame-limit.js';
import { computeSum } from './lane-compute.js';
import { computeEachStreamed, streamBufferCount } from './stream-each.js';
import { FrameSender } from './result-sender.js';
import { LocalPool } from './local-pool.js';
import type { WorkerClientOptions, WorkerExit } from './worker-client-options.js';
import type { ChainMember } from './chain-member.js';
import { startChainCompute, type ChainCompute } from './chain-compute.js';
import type { PeerEndpoint } from './peer-endpoint.js';
import { openChainSide, peerTraffic } from './chain-side.js';
import { PeerLinkError } from './peer-link.js';
import {
  MAX_FAILED_SESSIONS,
  PRE_WELCOME_SILENCE_MS,
  SILENCE_CHECK_MS,
  SILENT_HEARTBEATS,
  TCP_KEEPALIVE_MS,
  type SessionOutcome,
} from './session-rules.js';
import type { StepTask } from './types.js';

export type { WorkerClientOptions, WorkerExit, WorkerExitReason } from './worker-client-options.js';

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
  private socket: WebSocket | null = null;
  private current: WorkerSession | null = null;
  private tokenKey: HmacKey | null = null;
  /** The address the worker dials, as bound into its MAC. */
  private readonly dialled: string;
  /** The pinned certificate fingerprint (lowercase hex), if any. */
  private readonly pin: string | undefined;
  private stopped = false;
  private steps = 0;
  private chainSteps = 0;
  private buffersAllocated = 0;
  private peakUnflushed = 0;
  /** The last step answered was the run's planned last (`step.final`). */
  private answeredFinal = false;
  private peers: PeerEndpoint | null = null;
  private chain: ChainMember | null = null;

  /** @throws RangeError for a bad thread count or URL */
  constructor(options: WorkerClientOptions) {
    if (!/^wss?:\/\//.test(options.url))
      throw new RangeError(`options.url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    if (typeof options.token !== 'string' || options.token.length === 0)
      throw new TypeError('options.token must be a non-empty string');
    this.options = options;
    this.dialled = normalizeDialled(options.url);
    this.pin = options.tlsFingerprint === undefined ? undefined : normalizeFingerprint(options.tlsFingerprint);
    if (this.pin !== undefined && !/^[0-9a-f]{64}$/.test(this.pin)) {
      throw new RangeError(
        `options.tlsFingerprint must be 64 hex digits (a SHA-256, colons allowed), got ${JSON.stringify(options.tlsFingerprint)}`,
      );
    }
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.backend = selectBackend(options.backend).name;
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new RangeError(`options.threads must be a positive integer, got ${this.threads}`);
  }

  /**
   * Gradient buffers (P floats each) allocated over this worker's life: they are reused from step
   * to step, and a star step streams its shards through about one per thread (stream-each.ts),
   * so this follows the thread count and a new model, not the shard count or the steps.
   */
  get gradientBuffersAllocated(): number {
    return this.buffersAllocated;
  }

  /** The most bytes of gradient frames that waited for the socket at once (result-sender.ts). */
  get peakUnflushedResultBytes(): number {
    return this.peakUnflushed;
  }

  /** Step messages served so far. */
  get stepsServed(): number {
    return this.steps;
  }

  /** Leaves the coordinator and ends run() after the current step. */
  stop(): void {
    this.stopped = true;
    const ws = this.socket;
    if (ws?.readyState === WebSocket.OPEN && this.current) {
      void this.current.leave('worker stopped').then(
        (actions) => {
          for (const a of actions) {
            if (a.kind === 'send' && ws.readyState === WebSocket.OPEN) ws.send(a.bytes);
            else if (a.kind === 'close') closeQuietly(ws, a.code, a.reason);
          }
        },
        () => ws.terminate(),
      );
    }
  }

  /** Serves the coordinator until the run is finished, the worker is refused or stopped. */
  async run(): Promise<WorkerExit> {
    const initial = this.options.reconnectInitialMs ?? 500;
    const max = this.options.reconnectMaxMs ?? 10_000;
    const giveUp = this.options.giveUpAfterMs ?? 60_000;
    let delay = initial;
    let lastWelcome = Date.now();
    let failedSessions = 0;
    // scrypt once per process (and token), not per connection.
    this.tokenKey = await deriveTokenKey(this.options.token);
    if (this.options.peerPort !== null) {
      ({ endpoint: this.peers, member: this.chain } = await openChainSide(
        this.options,
        this.tokenKey,
        this.pin,
        this.log,
      ));
    }
    try {
      for (;;) {
        const outcome = await this.explain(await this.session());
        if (outcome.kind !== 'dropped') return { reason: outcome.kind, message: outcome.message, ...this.served() };
        if (outcome.afterFinal)
          return { reason: 'finished', message: outcome.message, afterFinal: true, ...this.served() };
        // Only a session that did some good restarts the clock: one welcomed and then cut at once,
        // again and again, must not keep the worker retrying forever.
        if (outcome.productive) {
          delay = initial;
          lastWelcome = Date.now();
        }
        failedSessions = outcome.ownError && !outcome.productive ? failedSessions + 1 : 0;
        if (this.stopped) return { reason: 'stopped', message: 'worker stopped', ...this.served() };
        if (failedSessions >= MAX_FAILED_SESSIONS) {
          return {
            reason: 'failed',
            message: `gave up after ${failedSessions} sessions in a row ended by this worker's own error: ${outcome.message}`,
            ...this.served(),
          };
        }
        if (Date.now() - lastWelcome > giveUp) {
          return {
            reason: 'unreachable',
            message: `no coordinator at ${this.options.url} for ${Math.round(giveUp / 1000)} s (${outcome.message})`,
            ...this.served(),
          };
        }
        const wait = Math.min(delay, Math.max(0, giveUp - (Date.now() - lastWelcome)));
        this.log(`connection lost (${outcome.message}); reconnecting in ${wait} ms`);
        await sleep(wait);
        delay = Math.min(delay * 2, max);
      }
    } finally {
      this.chain?.close();
      await this.peers?.close();
      await this.pool?.close();
    }
  }

  private served(): Pick<WorkerExit, 'steps' | 'chainSteps' | 'chainSentBytes' | 'chainReceivedBytes'> {
    const t = peerTraffic(this.chain, this.peers);
    return {
      steps: this.steps,
      chainSteps: this.chainSteps,
      chainSentBytes: t.sentBytes,
      chainReceivedBytes: t.receivedBytes,
    };
  }

  /** A failed connection explained by a probe of the port, when its error asks for one. */
  private async explain(outcome: SessionOutcome): Promise<SessionOutcome> {
    if (!outcome.probe || this.stopped) return outcome;
    const failure = await explainConnectFailure(
      { kind: outcome.kind === 'refused' ? 'refused' : 'dropped', message: outcome.message, probe: outcome.probe },
      this.options.url,
      this.options.ca,
    );
    return { ...outcome, kind: failure.kind, message: failure.message };
  }

  private session(): Promise<SessionOutcome> {
    return new Promise((resolve) => {
      let welcomed = false;
      let settled = false;
      let ownError = false;
      const startedMs = Date.now();
      const stepsBefore = this.steps;
      let compute = Promise.resolve();
      let pendingChunk: ((bytes: Uint8Array) => void) | null = null;
      let lastHeardMs = Date.now();
      let silenceLimitMs = PRE_WELCOME_SILENCE_MS;
      let certFingerprint = '';
      /** The close code the coordinator sent; 1006 when the link broke without one. */
      let closeCodeHeard = 1006;
      /** The last frame's processing: a close waits for it, so a `leave` just before is read first. */
      let inbox: Promise<void> = Promise.resolve();
      const session = new WorkerSession({
        tokenKey: this.tokenKey!,
        dialled: this.dialled,
        threads: this.threads,
        backend: this.backend,
        label: this.options.label ?? 'worker',
        worldSize: this.options.worldSize,
      });
      this.current = session;
      const ws = new WebSocket(this.options.url, {
        // Until the coordinator is verified a frame may hold a handshake message only; the
        // welcome raises the limit to the model's (frame-limit.ts).
        maxPayload: session.currentLimits.maxPayloadBytes,
        ca: this.options.ca,
        handshakeTimeout: 10_000,
        // Float bytes do not compress, and deflate would copy every tensor frame twice.
        perMessageDeflate: false,
        // A pinned certificate is checked by its fingerprint below, before anything is sent.
        ...(this.pin ? { rejectUnauthorized: false } : {}),
      });
      this.socket = ws;
      ws.binaryType = 'nodebuffer';
      // The coordinator heartbeats every heartbeatMs; silence for three of them is a lost link
      // (a host that lost power or a cut cable sends no FIN). Checked in the next turn, after any
      // frames that waited behind this timer are counted.
      const silence = setInterval(
        () =>
          setImmediate(() => {
            const quietMs = Date.now() - lastHeardMs;
            if (!settled && quietMs > silenceLimitMs) void session.silent(quietMs).then(apply, fail);
          }),
        SILENCE_CHECK_MS,
      );
      const finish = (kind: SessionOutcome['kind'], message: string, probe?: ConnectFailure['probe']): void => {
        if (settled) return;
        settled = true;
        clearInterval(silence);
        session.closed();
        pendingChunk = null;
        // A chain round of this session is over with it (its step came just before the close).
        this.chain?.abort('the link to the coordinator ended');
        const productive =
          this.steps > stepsBefore || (welcomed && !ownError && Date.now() - startedMs >= silenceLimitMs);
        // A refusal or drop by the coordinator comes with a code of the error table (4000 on).
        const afterFinal = kind === 'dropped' && this.answeredFinal && !ownError && closeCodeHeard < 4000;
        resolve({ kind, message, welcomed, probe, productive, ownError, afterFinal });
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      };
      const fail = (err: unknown): void => {
        const text = (err as Error)?.message ?? String(err);
        this.log(`worker error: ${text}`);
        if (settled) return;
        ownError = true;
        void session
          .fail((err as { code?: string }).code ?? 'GS_ERR_WORKER', text)
          .then(apply, () => undefined)
          .finally(() => finish('dropped', text));
      };
      const apply = (actions: readonly WorkerAction[]): void => {
        for (const a of actions) {
          switch (a.kind) {
            case 'send':
              if (ws.readyState === WebSocket.OPEN) ws.send(a.bytes);
              break;
            case 'close':
              closeQuietly(ws, a.code, a.reason);
              break;
            case 'welcome': {
              welcomed = true;
              // A coordinator that welcomes again (a resumed run) has steps left to serve.
              this.answeredFinal = false;
              // A new session has a new worker id: no peer link of an old one is reused under it.
              this.chain?.reset();
              this.peers?.dropLinks();
              setFrameLimit(ws, session.currentLimits.maxPayloadBytes);
              silenceLimitMs = SILENT_HEARTBEATS * a.welcome.heartbeatMs;
              const welcome = a.welcome;
              const fetchChunk = (offset: number, length: number): Promise<Uint8Array> =>
                new Promise<Uint8Array>((res) => {
                  pendingChunk = res;
                  void session.requestChunk(offset, length).then(apply, fail);
                });
              compute = compute
                .then(async () => {
                  await this.prepare(welcome, fetchChunk);
                  const peer = this.peers
                    ? {
                        port: this.peers.port,
                        ...(this.options.advertiseHost ? { host: this.options.advertiseHost } : {}),
                        ...(this.peers.fingerprint ? { fingerprint: this.peers.fingerprint } : {}),
                      }
                    : undefined;
                  apply(await session.ready(peer));
                })
                .catch(fail);
              break;
            }
            case 'chunk':
              pendingChunk?.(a.chunk.bytes);
              break;
            case 'step': {
              const { step, weights } = a;
              // A step while a chain round is in flight means the coordinator gave that round up.
              this.chain?.abort(`the coordinator moved on to step ${step.step + 1}`);
              compute = compute
                .then(async () => {
                  if (settled) return;
                  // Each shard's gradient leaves as soon as it is done, at the pace the link drains.
                  const sender = new FrameSender(ws);
                  const stream = async (grad: Float32Array): Promise<void> =>
                    sender.send(await session.gradient(step, grad));
                  const result = await this.serveStep(step, weights, stream);
                  this.peakUnflushed = Math.max(this.peakUnflushed, sender.peakUnflushedBytes);
                  apply(await session.result(step, result));
                  this.answeredFinal = step.final === true && result.failed === undefined;
                })
                .catch(fail);
              break;
            }
            case 'refused':
              finish('refused', a.message);
              break;
            case 'finished':
              finish('finished', 'the run is finished');
              break;
            case 'lost':
              this.log(a.message);
              finish('dropped', a.message);
              break;
            case 'log':
              this.log(a.line);
              break;
          }
        }
      };
      ws.on('upgrade', (res) => {
        const socket = res.socket as TLSSocket;
        socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
        if (typeof socket.getPeerCertificate !== 'function') return;
        certFingerprint = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
        if (this.pin && certFingerprint !== this.pin) {
          finish(
            'refused',
            `the coordinator's TLS certificate has fingerprint ${certFingerprint}, not the pinned ${this.pin} - help: check --tls-fingerprint against the join command the coordinator printed`,
          );
        }
      });
      ws.on('open', () => void session.open(certFingerprint).then(apply, fail));
      ws.on('error', (err: Error & { code?: string }) => {
        // A wrong scheme or certificate will not get better by retrying (connect-errors.ts).
        const failure = classifyConnectError(err, this.options.url, this.options.ca !== undefined);
        // A coordinator restarted with --resume listens before its worker route exists (it loads
        // the data in between): a 404 from an address that welcomed this worker before is retried.
        const starting = this.welcome !== null && /server response: 404\b/.test(err.message);
        finish(starting ? 'dropped' : failure.kind, failure.message, failure.probe);
      });
      ws.on('close', (code, reason) => {
        closeCodeHeard = code;
        const why = `closed ${code}${reason.length ? ` ${peerText(reason.toString())}` : ''}`;
        void inbox.then(() => finish(this.stopped ? 'stopped' : 'dropped', why));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        lastHeardMs = Date.now();
        inbox = session
          .receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary)
          .then(apply, fail);
      });
    });
  }

  /** Gets the data set (cache or download) and a thread pool for the welcomed run. */
  private async prepare(
    welcome: WelcomeMessage,
    fetchChunk: (offset: number, length: number) => Promise<Uint8Array>,
  ): Promise<void> {
    this.welcome = welcome;
    const P = parameterCount(welcome.spec.layers);
    const { fingerprint } = welcome.dataset;
    const key = `${fingerprint}|${JSON.stringify(welcome.spec)}|${welcome.config.blockRows}`;
    if (this.pool && this.poolKey === key) return;
    const bytes = await fetchDataset(welcome, fetchChunk, this.options, this.log);
    const data = decodeDataset(bytes, `data set ${fingerprint}`);
    await this.pool?.close();
    this.pool = new LocalPool({
      spec: welcome.spec,
      data,
      backend: this.backend,
      threads: this.threads,
      blockRows: welcome.config.blockRows,
    });
    this.poolKey = key;
    this.weights = new Float32Array(P);
    this.peers?.setParameterCount(P);
    this.version = -1;
    this.order = null;
    this.scratch = [];
  }

  private orderFor(epoch: number): Uint32Array {
    const welcome = this.welcome!;
    if (this.order?.epoch !== epoch) {
      const n = welcome.dataset.count;
      const values = welcome.config.shuffle
        ? epochPermutation(welcome.config.seed, epoch, n)
        : Uint32Array.from({ length: n }, (_, i) => i);
      this.order = { epoch, values };
    }
    return this.order.values;
  }

  private buffers(n: number): Float32Array[] {
    while (this.scratch.length < n) {
      this.scratch.push(new Float32Array(this.weights.length));
      this.buffersAllocated++;
    }
    return this.scratch.slice(0, n);
  }

  private async serveStep(
    step: StepMessage,
    weights: WireTensor | undefined,
    stream: (grad: Float32Array) => Promise<void>,
  ): Promise<WorkerResult> {
    const pool = this.pool;
    if (!pool) throw new ProtocolError('GS_ERR_PROTOCOL_UNEXPECTED', 'a step arrived before the data set was ready');
    if (step.chain) return this.serveChainStep(step, step.chain);
    if (weights) {
      // Into the buffer the pool reads, reused across steps: the only copy of the weights' bytes.
      readTensor(this.weights, weights, `the weights of step ${step.step}`);
      this.version = step.version;
    } else if (step.version !== this.version) {
      throw new ProtocolError(
        'GS_ERR_PROTOCOL_STALE',
        `step ${step.step} needs weights version ${step.version} but this worker holds ${this.version}`,
      );
    }
    const started = performance.now();
    const { grads, stats } = await this.computeShards(step, stream);
    this.steps++;
    return {
      grads,
      lossSums: stats.map((s) => s.lossSum),
      counts: stats.map((s) => s.count),
      computeMs: performance.now() - started,
    };
  }

  /**
   * A chain step (chain-member.ts): the weights come from the successor, the gradients go into
   * the running sum; the result holds the statistics, or why the round failed and whom it blames.
   */
  private async serveChainStep(step: StepMessage, role: WireChainRole): Promise<WorkerResult> {
    if (!this.chain)
      throw new ProtocolError('GS_ERR_PROTOCOL_UNEXPECTED', 'a chain step for a worker that does not listen for peers');
    const pool = this.pool!;
    let computeMs = 0;
    this.version = -1; // the weights are overwritten as they arrive
    let firstWeightsAt = 0;
    let running: ChainCompute | null = null;
    let complete = false;
    const before = peerTraffic(this.chain, this.peers);
    try {
      const stats = await this.chain.run(
        this.welcome!.workerId,
        role,
        this.weights,
        {
          // The threads start at once and wait in shared memory for each block of W_1 (overlap).
          start: () => {
            pool.beginWeightsStream(step.version);
            return startChainCompute(pool, this.chainTask(step), step.shards, step.reduce, (n) => this.buffers(n));
          },
          onWeights: (from, to) => {
            if (from === 0) firstWeightsAt = performance.now();
            pool.weightsArrived(this.weights, from, to);
            if (to === this.weights.length) this.version = step.version;
          },
        },
        (compute) => {
          running = compute;
          compute.result.then(
            () => (computeMs = performance.now() - firstWeightsAt),
            () => undefined,
          );
        },
      );
      complete = true;
      this.steps++;
      this.chainSteps++;
      const after = peerTraffic(this.chain, this.peers);
      const peerSentBytes = after.sentBytes - before.sentBytes;
      const peerReceivedBytes = after.receivedBytes - before.receivedBytes;
      const lossSums = stats.map((s) => s.lossSum);
      return { grads: [], lossSums, counts: stats.map((s) => s.count), computeMs, peerSentBytes, peerReceivedBytes };
    } catch (err) {
      if (!(err instanceof PeerLinkError)) throw err;
      this.version = -1;
      const unreachable = err.unreachable ? { unreachable: true } : {};
      return { grads: [], lossSums: [], counts: [], computeMs, failed: err.message, blame: err.blame, ...unreachable };
    } finally {
      if (!complete && running !== null) {
        // The round failed with threads perhaps waiting for weights: release them, let the round's
        // tasks finish (their results are dropped), then forget the partial weights they published.
        pool.cancelWeightsStream();
        await (running as ChainCompute).settled;
        pool.forgetWeights();
      }
    }
  }

  private chainTask(step: StepMessage): StepTask {
    return {
      weightsVersion: step.version,
      weights: this.weights,
      epoch: step.epoch,
      batch: step.batch,
      order: this.orderFor(step.epoch),
    };
  }

  /** The step's shards at the weights held: each whole (streamed as they are done), or summed over the threads. */
  private async computeShards(
    step: StepMessage,
    stream: (grad: Float32Array) => Promise<void>,
  ): Promise<{ grads: Float32Array[]; stats: GradientStats[] }> {
    const pool = this.pool!;
    const task = {
      weightsVersion: step.version,
      weights: this.weights,
      epoch: step.epoch,
      batch: step.batch,
      order: this.orderFor(step.epoch),
      // A local round's shards are replicas (replica-round.ts); their lanes take them whole.
      ...(step.local ? { local: step.local } : {}),
    };
    let grads: Float32Array[];
    let stats: GradientStats[];
    if (step.reduce === 'sum') {
      const lanes = pool.lanes;
      const [out, ...scratch] = this.buffers(lanes.length + 1);
      stats = [await computeSum(lanes, task, step.shards, out, scratch)];
      grads = [out];
    } else {
      const buffers = this.buffers(streamBufferCount(step.shards.length, pool.lanes.length));
      stats = await computeEachStreamed(pool.lanes, task, step.shards, buffers, (_, grad) => stream(grad));
      grads = [];
    }
    return { grads, stats };
  }
}

/** ws.close that can never throw (the session cuts reasons to 123 bytes; this is the last guard). */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
  }
}
