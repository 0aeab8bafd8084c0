/**
 * A source's side of a local-SGD round (architecture §10): a shard task that carries `local` is a
 * replica (its offset is the replica's index), computed whole on one thread by core's
 * replicaRound into the shard's buffer as the weight change start − end. The thread's scratch
 * (its own weights, gradient and momentum) is made on first use and kept.
 */
import {
  createReplicaScratch,
  replicaRound,
  type GradientStats,
  type KernelBackend,
  type LabeledSamples,
  type LocalRoundPlan,
  type ModelSpec,
  type ReplicaScratch,
} from '@gradswarm/core';

/** One thread's replica computer: the model, the data, the kernels and a scratch kept between rounds. */
export class ReplicaRunner {
  private scratch: ReplicaScratch | null = null;

  constructor(
    private readonly spec: ModelSpec,
    private readonly data: LabeledSamples,
    private readonly backend: KernelBackend,
    private readonly blockRows: number,
  ) {}

  /**
   * Replica `replica` of `plan` from `start` (the round's weights) over `order`, into `delta`.
   * @throws RangeError if the replica is not one of the plan's
   */
  run(
    start: Float32Array,
    order: Uint32Array,
    plan: LocalRoundPlan,
    replica: number,
    delta: Float32Array,
  ): GradientStats {
    if (!(Number.isInteger(replica) && replica >= 0 && replica < plan.replicas))
      throw new RangeError(`replica ${replica} is not one of the round's ${plan.replicas}`);
    this.scratch ??= createReplicaScratch(this.spec, start.length, this.blockRows);
    return replicaRound(this.backend, this.spec.layers, start, this.data, order, plan, replica, delta, this.scratch);
  }
}
