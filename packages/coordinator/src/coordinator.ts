/**
 * A training run as a whole: the trainer, who computes (membership: local lanes and, with a
 * network, remote workers), the server, checkpoints and status. `gradswarm train` is this with
 * the local lanes only and no port; `gradswarm coordinator` adds the server.
 *
 *   [listen(network)] → start() → (server listening) → waitForWorkers(min) → run() → close('finished')
 *
 * listen() binds the port and checks TLS before the data set is loaded (so a taken port is one
 * line, at once); start() opens it itself when it was not given.
 *   stop() (SIGINT/SIGTERM) ends run() after the current step; a checkpoint is written then,
 *   and at normal completion (when --checkpoint is set).
 *   A failed checkpoint write is logged and does not end the run (tryCheckpoint).
 */
import { parameterCount, type KernelBackend, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { encodeDataset } from '@gradswarm/data';
import { limitsForModel, type ProtocolLimits, type WirePrecision } from '@gradswarm/protocol';
import { DEFAULT_BLOCK_ROWS, type GradientSource, type SliceHelpers } from '@gradswarm/worker';
import { saveCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ConnectionLimitsOptions } from './connection-limits.js';
import { listen, type CoordinatorListener } from './coordinator-listener.js';
import { CoordinatorServer } from './coordinator-server.js';
import { ChainSource, DEFAULT_CHAIN_CHUNK_FLOATS } from './chain-source.js';
import { Membership } from './membership.js';
import { RemoteWorker } from './remote-worker.js';
import { RunEvents, type EpochEvaluation } from './run-events.js';
import { buildStatusDocument, type RunPhase, type StatusDocument } from './status-document.js';
import type { TlsMaterial } from './tls-material.js';
import { Trainer, type TrainerHooks, type TrainResult } from './trainer.js';
import type { TrainingOptions } from './training-options.js';

export interface NetworkOptions extends ConnectionLimitsOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token: string;
  readonly stepTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** PEM certificate and key: serve wss:// and https:// (checked by listen()). */
  readonly tls?: TlsMaterial;
  /** Bytes per data-set chunk sent to a worker [1 MiB]. */
  readonly chunkBytes?: number;
  /** Departed workers /status keeps listing, the most recent ones [100]. */
  readonly maxDepartedWorkers?: number;
  /**
   * How the gradients of remote workers are reduced [chain]: `chain` along the workers that
   * listen for peers (architecture §8; the others, and all of them under TLS, by the star);
   * `star`: every gradient to the coordinator.
   */
  readonly topology?: 'chain' | 'star';
  /** Floats per chain chunk frame [DEFAULT_CHAIN_CHUNK_FLOATS]. */
  readonly chainChunkFloats?: number;
  /**
   * `--wire-precision` [f32]: bf16 sends the weights, and outside reproducible mode the gradients,
   * as bfloat16 (tensor-frames.ts); the chain carries float32 only, so bf16 serves every worker by the star.
   */
  readonly wirePrecision?: WirePrecision;
  /** `gradswarm launch`: the job's world size; a worker that says another one is refused. */
  readonly worldSize?: number;
  /** More names of this machine a worker may have dialled (launch's rendezvous host, e.g. a Kubernetes Service). */
  readonly ownHosts?: readonly string[];
}

export interface CoordinatorOptions {
  readonly spec: ModelSpec;
  readonly data: LabeledSamples;
  readonly dataFingerprint: string;
  readonly dataName: string;
  readonly training: TrainingOptions;
  /** This machine's gradient sources (its pool's lanes); may be empty with a network. */
  readonly local: readonly GradientSource[];
  /** Kernel backend of the local lanes (reproducible runs require it of every worker). */
  readonly backend: string;
  /** Runs the per-step update's C kernels when it has them (sumGradients, finishGradient, the optimizer step; the bits are the same without). */
  readonly updateBackend?: KernelBackend | null;
  /** A local pool's threads, to share each step's reduction and update (the same bits). */
  readonly updateHelpers?: SliceHelpers | null;
  readonly network?: NetworkOptions;
  /** The network's socket, bound early with listen(network); start() opens one when absent. */
  readonly listener?: CoordinatorListener;
  readonly checkpoint?: { readonly dir: string; readonly everySteps: number };
  readonly resume?: Checkpoint;
  readonly log: (line: string) => void;
  /**
   * Evaluates the weights after an epoch when one is due (null: not this epoch); the result
   * goes out with the `epoch` event. Its time is not training time.
   */
  readonly evaluateEpoch?: (epoch: number, params: Float32Array) => EpochEvaluation | null;
}

/** Largest number of shards one step message may carry (reproducible mode's S). */
export const MAX_SHARDS_PER_STEP = 4096;
const DEFAULT_CHUNK_BYTES = 1 << 20;

export class Coordinator {
  readonly trainer: Trainer;
  readonly membership: Membership;
  readonly limits: ProtocolLimits;
  /** The run's typed events (run-events.ts): step, epoch, joined, left, dropped, reassigned, stepStart, measured. */
  readonly events = new RunEvents();
  private server: CoordinatorServer | null = null;
  private phase: RunPhase = 'starting';
  private lastStep = { step: 0, epoch: 0, batch: 0, cost: Number.NaN, samplesPerSecond: 0 };
  private readonly minibatchCost: number[];
  /** True while a step is being computed (between the trainer's start of a step and onStep). */
  private inFlight = false;
  /** The step being computed (0-based), for the `measured` events. */
  private stepInFlight = 0;
  private trafficAtStep = { sentBytes: 0, receivedBytes: 0 };
  /** Bytes the coordinator sent and received during the last step. */
  lastTraffic = { sentBytes: 0, receivedBytes: 0 };

  /** @throws TypeError / RangeError for bad options */
  constructor(private readonly options: CoordinatorOptions) {
    if (options.local.length === 0 && !options.network)
      throw new RangeError('a run without a network needs at least one local thread');
    // A source admitted while step k is computed takes shards from step k+1 (steps are
    // numbered from 1 in logs; the trainer asks for active sources as each step starts).
    this.membership = new Membership(
      options.local,
      {
        log: options.log,
        nextStep: () => this.trainer.state().step + (this.inFlight ? 1 : 0),
        joined: (w, fromStep) =>
          this.events.emit('joined', { id: w.id, name: w.name, threads: w.threads, backend: w.backend, fromStep }),
        departed: (w, state, reason) =>
          this.events.emit(state === 'LEFT' ? 'left' : 'dropped', { id: w.id, name: w.name, reason }),
      },
      { maxDepartedWorkers: options.network?.maxDepartedWorkers },
    );
    this.trainer = new Trainer(
      options.spec,
      options.data,
      this.membership,
      options.training,
      options.updateBackend ?? null,
      undefined,
      options.updateHelpers ?? null,
    );
    this.limits = limitsForModel(parameterCount(options.spec.layers), MAX_SHARDS_PER_STEP);
    this.minibatchCost = options.resume ? [...options.resume.minibatchCost] : [];
    if (options.resume) this.trainer.restore(options.resume.state);
  }

  /**
   * Starts the server (if any) on the given listener or a new one; resolves with the URL workers
   * join at.
   * @throws GradswarmError GS_ERR_LISTEN / GS_ERR_TLS when it opens the listener itself and cannot
   */
  async start(): Promise<string | null> {
    const net = this.options.network;
    if (!net) return null;
    const listener = this.options.listener ?? (await listen({ ...net, log: this.options.log }));
    const data = this.options.data;
    const bytes = encodeDataset(data);
    const o = this.trainer.options;
    this.server = new CoordinatorServer({
      listener,
      token: net.token,
      spec: this.trainer.spec,
      parameterCount: this.trainer.params.length,
      config: { seed: o.seed, shuffle: o.shuffle, blockRows: DEFAULT_BLOCK_ROWS },
      dataset: {
        bytes,
        descriptor: {
          fingerprint: this.options.dataFingerprint,
          count: data.count,
          featureCount: data.featureCount,
          classCount: data.classCount,
          bytes: bytes.length,
          name: this.options.dataName,
        },
      },
      limits: this.limits,
      membership: this.membership,
      stepTimeoutMs: net.stepTimeoutMs,
      heartbeatIntervalMs: net.heartbeatIntervalMs,
      requireBackend: o.reproducible !== undefined ? this.options.backend : undefined,
      // Reproducible mode sums float32 gradients in shard order: their bits must not depend on the wire.
      wire: {
        weights: net.wirePrecision ?? 'f32',
        results: o.reproducible === undefined ? (net.wirePrecision ?? 'f32') : 'f32',
      },
      worldSize: net.worldSize,
      ownHosts: net.ownHosts,
      chunkBytes: net.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      status: () => this.status(),
      log: this.options.log,
    });
    await this.server.start();
    this.planChains(net);
    return this.server.url();
  }

  /** With the chain topology, each step's listening workers form a chain (chain-source.ts). */
  private planChains(net: NetworkOptions): void {
    const peers = this.server?.peers;
    if ((net.topology ?? 'chain') !== 'chain') return;
    if (net.wirePrecision === 'bf16') {
      this.options.log('--wire-precision bf16: chain links carry float32 only, so every worker is served by the star');
      return;
    }
    if (!peers) return;
    const chunkFloats = net.chainChunkFloats ?? DEFAULT_CHAIN_CHUNK_FLOATS;
    const whole = this.trainer.options.reproducible !== undefined;
    let round = 0;
    let order = '';
    this.membership.setChain((sources) => {
      const members = sources.filter((s): s is RemoteWorker => s instanceof RemoteWorker && s.peerUrl !== null);
      const now = members.map((m) => `worker ${m.id}`).join(' → ');
      if (now !== order && members.length > 0) this.options.log(`chain: ${now} → coordinator`);
      order = now;
      if (members.length === 0) return null;
      return {
        members,
        source: (chained, counts) =>
          new ChainSource(chained as RemoteWorker[], counts, peers, ++round, chunkFloats, whole, this.options.log),
      };
    });
  }

  /** Kernel backend of the local lanes. */
  get backend(): string {
    return this.options.backend;
  }

  /** Resolves once `count` remote workers are ready (stop() rejects it). */
  async waitForWorkers(count: number): Promise<void> {
    this.phase = 'waiting';
    while (this.membership.ready().length < count) {
      // stop() may change the phase while this loop sleeps.
      if ((this.phase as string) === 'stopped') throw new Error('stopped while waiting for workers');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Trains to the end (or until stop()); writes checkpoints as configured. */
  async run(hooks: TrainerHooks = {}): Promise<TrainResult> {
    if (this.phase === 'stopped') return this.trainer.run(hooks);
    this.phase = 'training';
    const every = this.options.checkpoint?.everySteps ?? 0;
    // A local-SGD round takes H steps at once: a checkpoint is due when a round passes a multiple of `every`.
    let stepsDone = this.trainer.state().step;
    let checkpointed = -1;
    try {
      const result = await this.trainer.run({
        ...hooks,
        onReassigned: (source, error, shards, to) => {
          this.events.emit('reassigned', { source, error, shards, to });
          hooks.onReassigned?.(source, error, shards, to);
        },
        onEpoch: async (info) => {
          const evaluation = this.options.evaluateEpoch?.(info.epoch, info.params) ?? null;
          this.events.emit('epoch', { ...info, evaluation });
          await hooks.onEpoch?.(info);
        },
        onStepStart: (step) => {
          this.inFlight = true;
          this.stepInFlight = step;
          this.events.emit('stepStart', { step, atMs: performance.now() });
          hooks.onStepStart?.(step);
        },
        onMeasured: (source, samples, wallMs, computeMs) => {
          const atMs = performance.now();
          // A chain round is one source to the scheduler; observers see its members, each with its own figures.
          const measures = source instanceof ChainSource ? source.lastMeasures : [{ source, samples, computeMs }];
          for (const m of measures) this.events.emit('measured', { step: this.stepInFlight, ...m, wallMs, atMs });
          hooks.onMeasured?.(source, samples, wallMs, computeMs);
        },
        onStep: async (info) => {
          this.inFlight = false;
          // The coordinator's link traffic and its chain peer links' (the total in, the weights out).
          const session = this.server?.traffic ?? { sentBytes: 0, receivedBytes: 0 };
          const chain = this.server?.peers?.traffic ?? { sentBytes: 0, receivedBytes: 0 };
          const t = {
            sentBytes: session.sentBytes + chain.sentBytes,
            receivedBytes: session.receivedBytes + chain.receivedBytes,
          };
          const traffic = {
            sentBytes: t.sentBytes - this.trafficAtStep.sentBytes,
            receivedBytes: t.receivedBytes - this.trafficAtStep.receivedBytes,
          };
          this.trafficAtStep = { ...t };
          this.lastTraffic = traffic;
          this.minibatchCost.push(info.cost);
          this.lastStep = {
            step: info.step + 1,
            epoch: info.epoch,
            batch: info.batch,
            cost: info.cost,
            samplesPerSecond: info.samplesSeen / Math.max(info.trainingMs / 1000, 1e-9),
          };
          this.events.emit('step', { ...info, traffic });
          await hooks.onStep?.(info);
          const due = every > 0 && Math.floor((info.step + 1) / every) > Math.floor(stepsDone / every);
          stepsDone = info.step + 1;
          if (due) {
            this.tryCheckpoint(every);
            checkpointed = stepsDone;
          }
        },
      });
      // At normal completion too (issue 17 item 8): a final --out that fails must not lose the
      // model. Not twice when the last step was a checkpoint step already.
      const lastStep = this.trainer.state().step;
      if (result.interrupted || checkpointed !== lastStep) this.tryCheckpoint(0);
      this.phase = result.interrupted ? 'stopped' : 'finished';
      return result;
    } catch (err) {
      this.phase = 'stopped';
      throw err;
    }
  }

  /** Writes a checkpoint now (if --checkpoint was given); returns its path. */
  checkpoint(): string | null {
    const c = this.options.checkpoint;
    if (!c) return null;
    const path = saveCheckpoint(c.dir, {
      spec: this.trainer.spec,
      options: this.trainer.options,
      dataFingerprint: this.options.dataFingerprint,
      state: this.trainer.state(),
      minibatchCost: this.minibatchCost,
    });
    this.options.log(`checkpoint at step ${this.trainer.state().step} written to ${path}`);
    return path;
  }

  /**
   * A checkpoint that may fail without ending the run: one failed write (a full disk, a
   * descriptor limit, a directory that went away) costs that checkpoint only. It is logged, and
   * training goes on; the next one is tried at its usual step (issue 16 item 14).
   * @param every steps between checkpoints (0: this is the last one of the run)
   * @returns the path written, or null if none was configured or the write failed
   */
  tryCheckpoint(every: number): string | null {
    try {
      return this.checkpoint();
    } catch (err) {
      const step = this.trainer.state().step;
      const next = every > 0 ? `; training goes on, the next try is at step ${step + every}` : '';
      this.options.log(`checkpoint at step ${step} not written: ${(err as Error).message}${next}`);
      return null;
    }
  }

  /** Ends the run after the current step (SIGINT/SIGTERM), and any wait for workers. */
  stop(): void {
    if (this.phase === 'finished') return;
    this.phase = 'stopped';
    this.trainer.stop();
    this.membership.close(new Error('the run was stopped'));
  }

  /** Tells the workers why the run ends and stops listening (also a listener given but never started). */
  async close(reason: 'finished' | string): Promise<void> {
    if (this.server) await this.server.close(reason);
    else await this.options.listener?.close();
  }

  /** The body of GET /status (status-document.ts). */
  status(): StatusDocument {
    const o = this.trainer.options;
    const m = this.membership;
    return buildStatusDocument(
      {
        state: this.phase,
        step: this.lastStep.step,
        epoch: this.lastStep.epoch,
        epochs: o.epochs,
        batch: this.lastStep.batch,
        batchesPerEpoch: this.trainer.batches.length,
        cost: this.lastStep.cost,
        samplesPerSecond: this.lastStep.samplesPerSecond,
        reproducible: o.reproducible ?? null,
        localThreads: this.options.local.length,
      },
      { workers: m.all(), admitted: m.admittedCount, departed: m.departedCount },
      this.server?.unauthenticatedConnections ?? 0,
    );
  }
}
