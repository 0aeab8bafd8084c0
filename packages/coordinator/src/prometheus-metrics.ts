/**
 * `GET /metrics`: the run in Prometheus text format (prom-client), from the run's events. Its own
 * registry (not prom-client's global one), so two runs in one process never mix. Metric names:
 *
 *   gradswarm_steps_total                    counter    optimizer steps taken by this process
 *   gradswarm_samples_total                  counter    training samples processed
 *   gradswarm_samples_per_second             gauge      over the last step
 *   gradswarm_step_phase_seconds{phase}      histogram  compute, wait, reduce_update, step
 *   gradswarm_sent_bytes_total               counter    WebSocket bytes to workers
 *   gradswarm_received_bytes_total           counter    WebSocket bytes from workers
 *   gradswarm_workers{state}                 gauge      remote workers by state (READY, JOINED, LEFT, DROPPED)
 *   gradswarm_local_threads                  gauge      this machine's compute threads
 *   gradswarm_membership_events_total{kind}  counter    joined, left, dropped, reassigned
 *   gradswarm_cost                           gauge      cost of the last minibatch
 *   gradswarm_epoch_cost                     gauge      mean cost of the last epoch
 *   gradswarm_accuracy{set}                  gauge      train / test accuracy of the last evaluation
 *   gradswarm_epochs_total                   counter    epochs finished
 * plus prom-client's default Node metrics (nodejs_eventloop_lag_seconds among them).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Coordinator } from './coordinator.js';
import type { Unsubscribe } from './run-events.js';

/** Bucket bounds of gradswarm_step_phase_seconds: 0.1 ms to 10 s. */
export const PHASE_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly off: Unsubscribe[];

  /** Follows `coordinator.events` from now on. */
  constructor(coordinator: Coordinator, localThreads: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const steps = new Counter({ name: 'gradswarm_steps_total', help: 'Optimizer steps taken', registers });
    const samples = new Counter({ name: 'gradswarm_samples_total', help: 'Training samples processed', registers });
    const rate = new Gauge({
      name: 'gradswarm_samples_per_second',
      help: 'Training samples per second over the last step',
      registers,
    });
    const phases = new Histogram({
      name: 'gradswarm_step_phase_seconds',
      help: 'Seconds per step phase: compute and wait of the slowest source, reduce_update, the whole step',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS_SECONDS,
      registers,
    });
    const sent = new Counter({
      name: 'gradswarm_sent_bytes_total',
      help: 'WebSocket bytes sent to workers',
      registers,
    });
    const received = new Counter({
      name: 'gradswarm_received_bytes_total',
      help: 'WebSocket bytes received from workers',
      registers,
    });
    new Gauge({
      name: 'gradswarm_workers',
      help: 'Remote workers by state (departed ones as far as /status keeps them)',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const state of ['JOINED', 'READY', 'LEFT', 'DROPPED']) this.set({ state }, 0);
        for (const w of coordinator.membership.all()) this.inc({ state: w.state });
      },
    });
    new Gauge({ name: 'gradswarm_local_threads', help: "This machine's compute threads", registers }).set(localThreads);
    const membership = new Counter({
      name: 'gradswarm_membership_events_total',
      help: 'Workers joined, left, dropped, and failed sources whose shards were reassigned',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['joined', 'left', 'dropped', 'reassigned']) membership.inc({ kind }, 0);
    const cost = new Gauge({ name: 'gradswarm_cost', help: 'Cost of the last minibatch', registers });
    const epochCost = new Gauge({ name: 'gradswarm_epoch_cost', help: 'Mean cost of the last epoch', registers });
    const accuracy = new Gauge({
      name: 'gradswarm_accuracy',
      help: 'Accuracy of the last evaluation (0..1)',
      labelNames: ['set'],
      registers,
    });
    const epochs = new Counter({ name: 'gradswarm_epochs_total', help: 'Epochs finished', registers });

    let slowest = { wallMs: 0, computeMs: 0 };
    const ev = coordinator.events;
    this.off = [
      ev.on('stepStart', () => {
        slowest = { wallMs: 0, computeMs: 0 };
      }),
      ev.on('measured', (e) => {
        if (e.wallMs > slowest.wallMs) slowest = { wallMs: e.wallMs, computeMs: e.computeMs };
      }),
      ev.on('step', (e) => {
        steps.inc();
        samples.inc(e.samples);
        rate.set(e.samples / Math.max(e.timing.totalMs / 1000, 1e-9));
        phases.observe({ phase: 'compute' }, slowest.computeMs / 1000);
        phases.observe({ phase: 'wait' }, Math.max(0, slowest.wallMs - slowest.computeMs) / 1000);
        phases.observe({ phase: 'reduce_update' }, e.timing.reduceUpdateMs / 1000);
        phases.observe({ phase: 'step' }, e.timing.totalMs / 1000);
        sent.inc(e.traffic.sentBytes);
        received.inc(e.traffic.receivedBytes);
        if (Number.isFinite(e.cost)) cost.set(e.cost);
      }),
      ev.on('epoch', (e) => {
        epochs.inc();
        if (Number.isFinite(e.cost)) epochCost.set(e.cost);
        if (e.evaluation) {
          accuracy.set({ set: 'train' }, e.evaluation.trainAccuracy);
          if (e.evaluation.testAccuracy !== undefined) accuracy.set({ set: 'test' }, e.evaluation.testAccuracy);
        }
      }),
      ev.on('joined', () => membership.inc({ kind: 'joined' })),
      ev.on('left', () => membership.inc({ kind: 'left' })),
      ev.on('dropped', () => membership.inc({ kind: 'dropped' })),
      ev.on('reassigned', () => membership.inc({ kind: 'reassigned' })),
    ];
  }

  /** The text exposition (version 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops following the events and the default metrics' timers. */
  close(): void {
    for (const off of this.off.splice(0)) off();
    this.registry.clear();
  }
}
