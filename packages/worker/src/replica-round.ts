/**
 * A source's side of a local-SGD round (architecture §10): a shard task that carries `local` is a
 * replica (its offset is the replica's index), computed whole on one thread by core's
 * replicaRound into the shard's buffer as the weight change start − end. The thread's scratch
 * (its own weights, gradient and momentum) is made on first use and kept. A round that crosses an
 * epoch's end names its later epochs: their orders are derived here from the plan's seed, as the
 * trainer derives them (data's epochPermutation), the latest one kept.
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
import { epochPermutation } from '@gradswarm/data';

/** One thread's replica computer: the model, the data, the kernels and a scratch kept between rounds. */
export class ReplicaRunner {
  private scratch: ReplicaScratch | null = null;
  private later: { key: string; order: Uint32Array } | null = null;

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
    const scratch = (this.scratch ??= createReplicaScratch(this.spec, start.length, this.blockRows));
    const { data, backend } = this;
    const later = (epoch: number): Uint32Array => this.orderOf(plan, epoch);
    return replicaRound(backend, this.spec.layers, start, data, order, plan, replica, delta, scratch, later);
  }

  /** The order of a later epoch of the round, as the trainer has it. */
  private orderOf(plan: LocalRoundPlan, epoch: number): Uint32Array {
    const o = plan.orders;
    if (!o) throw new RangeError(`the round names epoch ${epoch} but not how its order is made (no plan.orders)`);
    const key = `${o.shuffle ? o.seed : 'identity'}:${epoch}`;
    if (this.later?.key !== key) {
      const n = this.data.count;
      const order = o.shuffle ? epochPermutation(o.seed, epoch, n) : Uint32Array.from({ length: n }, (_, i) => i);
      this.later = { key, order };
    }
    return this.later.order;
  }
}
