/**
 * `step.local`: the plan of a local-SGD round (architecture §10), checked field by field, and
 * against the step's shards, which are then replicas: each shard's offset is a replica index
 * (ascending, below `replicas`) and its count the samples that replica takes over the round. A
 * round that crosses an epoch's end names the later epoch of each such step (`steps[i].epoch`,
 * ascending, after `orders.epoch`) and how its order is made (`orders`).
 */
import { replicaSampleCount, type LocalRoundPlan, type RoundOrders, type RoundStep } from '@gradswarm/core';
import { array, boolean, finiteNumber, integer, invalid, map, oneOf, own, type Fields } from './fields.js';
import type { WireShard } from './messages.js';

/** Most inner steps one round may carry. */
export const MAX_LOCAL_ROUND_STEPS = 65536;
/** Most replicas a round may have. */
export const MAX_LOCAL_ROUND_REPLICAS = 4096;

const REDUCTIONS = ['mean', 'sum'] as const;

/** @throws ProtocolError INVALID naming the first field that does not fit */
export function validateLocalRound(m: Fields, shards: readonly WireShard[]): LocalRoundPlan {
  const replicas = integer(own(m, 'replicas'), 'step.local.replicas', 1, MAX_LOCAL_ROUND_REPLICAS);
  const rawSteps = array(own(m, 'steps'), 'step.local.steps', 1, MAX_LOCAL_ROUND_STEPS);
  const rawOrders = own(m, 'orders');
  let orders: RoundOrders | undefined;
  if (rawOrders !== undefined) {
    const o = map(rawOrders, 'step.local.orders');
    orders = {
      epoch: integer(own(o, 'epoch'), 'step.local.orders.epoch'),
      seed: integer(own(o, 'seed'), 'step.local.orders.seed', 0, 0xffffffff),
      shuffle: boolean(own(o, 'shuffle'), 'step.local.orders.shuffle'),
    };
  }
  let lastEpoch = orders?.epoch ?? 0;
  const steps = rawSteps.map((s, i): RoundStep => {
    const r = map(s, `step.local.steps[${i}]`);
    const step = {
      offset: integer(own(r, 'offset'), `step.local.steps[${i}].offset`),
      count: integer(own(r, 'count'), `step.local.steps[${i}].count`, 1),
    };
    const rawEpoch = own(r, 'epoch');
    if (rawEpoch === undefined) {
      if (lastEpoch !== (orders?.epoch ?? 0))
        throw invalid(`step.local.steps[${i}].epoch`, `an epoch (the step before is of epoch ${lastEpoch})`, rawEpoch);
      return step;
    }
    if (!orders) throw invalid('step.local.orders', 'present when a step names its epoch', rawOrders);
    const epoch = integer(rawEpoch, `step.local.steps[${i}].epoch`, lastEpoch);
    if (epoch === orders.epoch) throw invalid(`step.local.steps[${i}].epoch`, `after ${orders.epoch}`, epoch);
    lastEpoch = epoch;
    return { ...step, epoch };
  });
  const learningRates = array(own(m, 'learningRates'), 'step.local.learningRates', steps.length, steps.length).map(
    (x, i) => {
      const lr = finiteNumber(x, `step.local.learningRates[${i}]`, 0);
      if (lr === 0) throw invalid(`step.local.learningRates[${i}]`, 'a finite number > 0', x);
      return lr;
    },
  );
  const momentum = finiteNumber(own(m, 'momentum'), 'step.local.momentum', 0);
  if (momentum >= 1) throw invalid('step.local.momentum', 'in [0, 1)', momentum);
  const nesterov = boolean(own(m, 'nesterov'), 'step.local.nesterov');
  const c = map(own(m, 'cost'), 'step.local.cost');
  const cost = {
    l1: finiteNumber(own(c, 'l1'), 'step.local.cost.l1', 0),
    l2: finiteNumber(own(c, 'l2'), 'step.local.cost.l2', 0),
    reduction: oneOf(own(c, 'reduction'), 'step.local.cost.reduction', REDUCTIONS),
  };
  const plan: LocalRoundPlan = { replicas, steps, learningRates, momentum, nesterov, cost, ...(orders && { orders }) };
  shards.forEach((s, i) => {
    if (s.offset >= replicas || (i > 0 && s.offset <= shards[i - 1].offset))
      throw invalid(`step.shards[${i}].offset`, `a replica index, ascending, below ${replicas}`, s.offset);
    const want = replicaSampleCount(plan, s.offset);
    if (s.count !== want) throw invalid(`step.shards[${i}].count`, `replica ${s.offset}'s ${want} samples`, s.count);
  });
  return plan;
}
