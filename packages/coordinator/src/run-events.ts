/**
 * The typed event stream of a run: what the progress bar, the metrics recorder and (later) a
 * dashboard subscribe to, instead of each being called from the trainer's hooks by whoever
 * composed the run. Listeners run synchronously, in subscription order, as the event happens;
 * a listener that throws ends the run like a throwing hook did.
 */
import type { GradientSource } from '@gradswarm/worker';
import type { EpochInfo, StepInfo } from './trainer.js';

/** A step finished: the trainer's report, and the coordinator's traffic during it. */
export interface StepEvent extends StepInfo {
  /** Bytes the coordinator sent and received during this step (0 without a network). */
  readonly traffic: { readonly sentBytes: number; readonly receivedBytes: number };
}

/** Accuracies of an evaluation after an epoch (present only on the epochs that were evaluated). */
export interface EpochEvaluation {
  readonly trainAccuracy: number;
  readonly testAccuracy?: number;
  readonly testCost?: number;
}

/** An epoch finished (after the evaluation, if one was due). */
export interface EpochEvent extends EpochInfo {
  readonly evaluation: EpochEvaluation | null;
}

/** A remote worker was admitted: it holds the data set and takes shards from `fromStep`. */
export interface JoinedEvent {
  readonly id: number;
  readonly name: string;
  readonly threads: number;
  readonly backend: string;
  /** The first step (0-based) it takes part in, when known. */
  readonly fromStep?: number;
}

/** An admitted remote worker said goodbye. */
export interface LeftEvent {
  readonly id: number;
  readonly name: string;
  readonly reason: string;
}

/** An admitted remote worker was dropped or lost (refused result, timeout, broken link). */
export interface DroppedEvent {
  readonly id: number;
  readonly name: string;
  readonly reason: string;
}

/** A source failed during a step; its shards were recomputed by others. */
export interface ReassignedEvent {
  readonly source: GradientSource;
  readonly error: unknown;
  /** Indices of the shards that were recomputed. */
  readonly shards: readonly number[];
  readonly to: readonly GradientSource[];
}

/** A step began (before it asks for the active sources). */
export interface StepStartEvent {
  /** Global 0-based step. */
  readonly step: number;
  /** performance.now() as it began. */
  readonly atMs: number;
}

/**
 * A source finished its shards of a step (the scheduler's onMeasured): `wallMs` from the request
 * to the result, of which `computeMs` computing as the source reports it (the rest is the link
 * and queues). Several per step; a reassigned shard gives its new source one more.
 */
export interface MeasuredEvent {
  readonly step: number;
  readonly source: GradientSource;
  readonly samples: number;
  readonly wallMs: number;
  readonly computeMs: number;
  /** performance.now() as the result was in. */
  readonly atMs: number;
}

/** Every event of a run, by type. */
export interface RunEventMap {
  step: StepEvent;
  epoch: EpochEvent;
  joined: JoinedEvent;
  left: LeftEvent;
  dropped: DroppedEvent;
  reassigned: ReassignedEvent;
  stepStart: StepStartEvent;
  measured: MeasuredEvent;
}

export type RunEventType = keyof RunEventMap;

/** Removes the listener it was returned for (calling it twice is harmless). */
export type Unsubscribe = () => void;

/** A small typed emitter of RunEventMap. */
export class RunEvents {
  private readonly listeners: { [K in RunEventType]?: Array<(event: RunEventMap[K]) => void> } = {};

  /** Calls `listener` for every event of `type` from now on. */
  on<K extends RunEventType>(type: K, listener: (event: RunEventMap[K]) => void): Unsubscribe {
    const list = (this.listeners[type] ??= []) as Array<(event: RunEventMap[K]) => void>;
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Calls the listeners of `type` in subscription order. */
  emit<K extends RunEventType>(type: K, event: RunEventMap[K]): void {
    const list = this.listeners[type] as Array<(event: RunEventMap[K]) => void> | undefined;
    if (!list) return;
    // A copy: a listener may unsubscribe (itself or another) while the event is delivered.
    for (const listener of [...list]) listener(event);
  }
}
