/**
 * A synthetic worker for measuring the coordinator alone: it speaks the whole protocol as
 * `gradswarm worker` does — hello (with its label), HMAC auth, the welcome's MAC checked, `ready`
 * naming the welcome's data-set fingerprint, heartbeats answered, every step message decoded and
 * validated by the protocol package — but it computes nothing: each step is answered at once with
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
  authMac,
  createNonce,
  decodeMessage,
  DEFAULT_PROTOCOL_LIMITS,
  encodeMessage,
  limitsForModel,
  PROTOCOL_VERSION,
  verifyMac,
  welcomeMac,
  type Message,
  type ProtocolLimits,
  type StepMessage,
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
 * Encoded result messages by (step, version, reduce, counts): answering K identical steps costs
 * one encoding, so the clients' side of a capacity run stays small next to the coordinator's.
 * The bytes are exactly what encodeMessage makes of that result.
 */
export class ResultEncoder {
  private readonly cache = new Map<string, Uint8Array>();
  private zeros = new Uint8Array(0);

  /** The encoded result for `step` from a model of `parameters` parameters. */
  encode(step: StepMessage, parameters: number): Uint8Array {
    const counts = step.reduce === 'sum' ? [step.shards.reduce((a, s) => a + s.count, 0)] : step.shards.map((s) => s.count);
    const key = `${step.step}|${step.version}|${parameters}|${counts.join(',')}`;
    let bytes = this.cache.get(key);
    if (!bytes) {
      if (this.zeros.byteLength !== 4 * parameters) this.zeros = new Uint8Array(4 * parameters);
      bytes = encodeMessage({
        t: 'result',
        step: step.step,
        version: step.version,
        grads: counts.map(() => this.zeros),
        lossSums: counts.map((n) => n * SYNTHETIC_LOSS_PER_SAMPLE),
        counts,
        computeMs: 0,
      });
      // A few steps' worth: clients answer the same step at about the same time.
      if (this.cache.size >= 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, bytes);
    }
    return bytes;
  }
}

export class SyntheticClient {
  private readonly options: SyntheticClientOptions;
  private readonly results: ResultEncoder;
  private socket: WebSocket | null = null;

  constructor(options: SyntheticClientOptions) {
    if (!/^wss?:\/\//.test(options.url)) throw new RangeError(`options.url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    if (typeof options.token !== 'string' || options.token.length === 0) throw new TypeError('options.token must be a non-empty string');
    this.options = options;
    this.results = options.results ?? new ResultEncoder();
  }

  /** Ends the connection now. */
  stop(): void {
    this.socket?.terminate();
  }

  /** Joins, answers steps until the coordinator ends the run or the link ends. */
  run(): Promise<SyntheticExit> {
    const o = this.options;
    return new Promise((resolve) => {
      let nonce: Uint8Array | null = null;
      let cnonce: Uint8Array | null = null;
      let parameters: number | undefined;
      let limits: ProtocolLimits = DEFAULT_PROTOCOL_LIMITS;
      let steps = 0;
      let workerId = 0;
      let settled = false;
      const ws = new WebSocket(o.url, { maxPayload: CLIENT_MAX_PAYLOAD_BYTES, handshakeTimeout: 10_000 });
      this.socket = ws;
      ws.binaryType = 'nodebuffer';
      const send = (m: Message | Uint8Array): void => {
        if (ws.readyState === WebSocket.OPEN) ws.send(m instanceof Uint8Array ? m : encodeMessage(m));
      };
      const finish = (reason: SyntheticExit['reason'], message: string): void => {
        if (settled) return;
        settled = true;
        resolve({ reason, message, steps, workerId });
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      };
      ws.on('open', () => send({ t: 'hello', version: PROTOCOL_VERSION, threads: 1, backend: o.backend ?? 'none', label: o.label ?? 'synthetic' }));
      ws.on('error', (err) => finish('dropped', err.message));
      ws.on('close', (code, reason) => finish('dropped', `closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`));
      ws.on('message', (data: Buffer) => {
        let m: Message;
        try {
          m = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), limits, { parameterCount: parameters });
        } catch (err) {
          ws.close(1002, 'invalid message');
          return finish('dropped', `the coordinator sent an invalid message: ${(err as Error).message}`);
        }
        switch (m.t) {
          case 'challenge':
            nonce = m.nonce;
            cnonce = createNonce();
            return send({ t: 'auth', mac: authMac(o.token, nonce, cnonce), cnonce });
          case 'welcome':
            if (!nonce || !cnonce || !verifyMac(welcomeMac(o.token, nonce, cnonce), m.mac)) return finish('refused', 'the coordinator could not prove it knows the token');
            workerId = m.workerId;
            parameters = parameterCount(m.spec.layers);
            limits = limitsForModel(parameters, DEFAULT_PROTOCOL_LIMITS.maxShardsPerStep);
            // Claims the data set by its fingerprint, as a worker whose cache holds it does.
            return send({ t: 'ready', fingerprint: m.dataset.fingerprint });
          case 'step':
            if (parameters === undefined) return finish('dropped', 'a step came before the welcome');
            steps++;
            return send(this.results.encode(m, parameters));
          case 'heartbeat':
            return send({ t: 'heartbeat', timeMs: Date.now() });
          case 'leave':
            return finish(m.reason === 'finished' ? 'finished' : 'dropped', m.reason);
          case 'error':
            return finish('refused', `${m.code}: ${m.message}`);
          default:
            return undefined;
        }
      });
    });
  }
}
