/**
 * A synthetic worker for measuring the coordinator alone: it drives the protocol package's
 * WorkerSession as `gradswarm worker` does — hello (with its label), HMAC auth bound to the
 * connection, the welcome's MAC checked, `ready` naming the welcome's data-set fingerprint,
 * heartbeats answered, every message signed and every step decoded and validated — but it computes nothing: each step is answered at once with
 * a result of the right shape (one gradient of P float32 zeros for reduce `sum`, one per shard for
 * `each`; loss sums ln(10) per sample, the loss of a uniform guess over ten classes; counts as
 * asked; step and version echoed). So the coordinator cannot tell it from a real worker except by
 * its label and its zero gradients (next to a real worker's, the coordinator's result screen finds
 * them out of range and cross-checks both; a run of synthetic clients only is all zeros, so
 * nothing is checked), and a run of K of them measures only the coordinator's messaging,
 * validation and reduction.
 *
 * Unlike the real worker it never downloads the data set and never reconnects: in a benchmark a
 * lost connection is a failure to report, not to hide.
 */
import { parameterCount } from '@gradswarm/core';
import {
  deriveTokenKey,
  normalizeDialled,
  WorkerSession,
  type WorkerResult,
  type StepMessage,
  type WorkerAction,
} from '@gradswarm/protocol';
import WebSocket from 'ws';

/** Σℓ per sample reported: cross-entropy of a uniform guess over 10 classes. */
export const SYNTHETIC_LOSS_PER_SAMPLE = Math.log(10);
/** Frame limit before the welcome says how big the model is (the real worker's too). */
const CLIENT_MAX_PAYLOAD_BYTES = 1 << 30;

export interface SyntheticClientOptions {
  /** ws:// address of the coordinator. */
  readonly url: string;
  readonly token: string;
  /** Shown in the coordinator's log ["synthetic"]. */
  readonly label?: string;
  /** Kernel backend declared in hello (a real worker declares its own) ["none"]. */
  readonly backend?: string;
  /** Shared encoder cache: K clients answering the same step send the same bytes [own cache]. */
  readonly results?: ResultEncoder;
}

export interface SyntheticExit {
  /** finished: the coordinator said the run is over; refused: an error or a bad welcome MAC; dropped: the link ended otherwise. */
  readonly reason: 'finished' | 'refused' | 'dropped';
  readonly message: string;
  /** Steps answered. */
  readonly steps: number;
  /** The id the coordinator gave this client (0 if never welcomed). */
  readonly workerId: number;
}

/**
 * The result fields by (step, version, reduce, counts): answering K identical steps builds one
 * set of zero gradients and loss sums, so the clients' side of a capacity run stays small next
 * to the coordinator's. (Each client still encodes and signs its own copy: the signature is
 * under that connection's session key.)
 */
export class ResultEncoder {
  private readonly cache = new Map<string, ResultFields>();
  private zeros = new Float32Array(0);

  /** The result fields for `step` from a model of `parameters` parameters. */
  fields(step: Omit<StepMessage, 'request'>, parameters: number): ResultFields {
    const counts =
      step.reduce === 'sum' ? [step.shards.reduce((a, s) => a + s.count, 0)] : step.shards.map((s) => s.count);
    const key = `${step.step}|${step.version}|${parameters}|${counts.join(',')}`;
    let fields = this.cache.get(key);
    if (!fields) {
      if (this.zeros.length !== parameters) this.zeros = new Float32Array(parameters);
      fields = {
        grads: counts.map(() => this.zeros),
        lossSums: counts.map((n) => n * SYNTHETIC_LOSS_PER_SAMPLE),
        counts,
        computeMs: 0,
      };
      // A few steps' worth: clients answer the same step at about the same time.
      if (this.cache.size >= 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, fields);
    }
    return fields;
  }
}

/** What a result carries besides the ids it echoes. */
export type ResultFields = Pick<WorkerResult, 'grads' | 'lossSums' | 'counts' | 'computeMs'>;

export class SyntheticClient {
  private readonly options: SyntheticClientOptions;
  private readonly results: ResultEncoder;
  private socket: WebSocket | null = null;

  constructor(options: SyntheticClientOptions) {
    if (!/^wss?:\/\//.test(options.url))
      throw new RangeError(`options.url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    if (typeof options.token !== 'string' || options.token.length === 0)
      throw new TypeError('options.token must be a non-empty string');
    this.options = options;
    this.results = options.results ?? new ResultEncoder();
  }

  /** Ends the connection now. */
  stop(): void {
    this.socket?.terminate();
  }

  /** Joins, answers steps until the coordinator ends the run or the link ends. */
  async run(): Promise<SyntheticExit> {
    const o = this.options;
    const session = new WorkerSession({
      tokenKey: await deriveTokenKey(o.token),
      dialled: normalizeDialled(o.url),
      threads: 1,
      backend: o.backend ?? 'none',
      label: o.label ?? 'synthetic',
    });
    return new Promise((resolve) => {
      let parameters: number | undefined;
      let steps = 0;
      let workerId = 0;
      let settled = false;
      /** The last frame's processing: a close waits for it, so a `leave` just before is read first. */
      let inbox: Promise<void> = Promise.resolve();
      const ws = new WebSocket(o.url, {
        maxPayload: CLIENT_MAX_PAYLOAD_BYTES,
        handshakeTimeout: 10_000,
        perMessageDeflate: false,
      });
      this.socket = ws;
      ws.binaryType = 'nodebuffer';
      const finish = (reason: SyntheticExit['reason'], message: string): void => {
        if (settled) return;
        settled = true;
        session.closed();
        resolve({ reason, message, steps, workerId });
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      };
      const fail = (err: unknown): void => finish('dropped', (err as Error)?.message ?? String(err));
      const apply = (actions: readonly WorkerAction[]): void => {
        for (const a of actions) {
          switch (a.kind) {
            case 'send':
              if (ws.readyState === WebSocket.OPEN) ws.send(a.bytes);
              break;
            case 'close':
              try {
                ws.close(a.code, a.reason);
              } catch {
                ws.terminate();
              }
              break;
            case 'welcome':
              workerId = a.welcome.workerId;
              parameters = parameterCount(a.welcome.spec.layers);
              // Claims the data set by its fingerprint, as a worker whose cache holds it does.
              void session.ready().then(apply, fail);
              break;
            case 'step':
              steps++;
              void session.result(a.step, this.results.fields(a.step, parameters!)).then(apply, fail);
              break;
            case 'refused':
              finish('refused', `${a.code}: ${a.message}`);
              break;
            case 'finished':
              finish('finished', 'finished');
              break;
            case 'lost':
              finish('dropped', a.message);
              break;
            case 'chunk':
            case 'log':
              break;
          }
        }
      };
      ws.on('open', () => void session.open().then(apply, fail));
      ws.on('error', (err) => finish('dropped', err.message));
      ws.on(
        'close',
        (code, reason) =>
          void inbox.then(() => finish('dropped', `closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`)),
      );
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        inbox = session
          .receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary)
          .then(apply, fail);
      });
    });
  }
}
