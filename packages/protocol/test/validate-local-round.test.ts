import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, ProtocolErrorCode as Code, type StepMessage } from '../src/index.js';
import { expectProtocolError } from './fixtures/assert.js';
import { LIMITS, P } from './fixtures/messages.js';

const ctx = { parameterCount: P };
const local = {
  replicas: 4,
  steps: [
    { offset: 0, count: 10 },
    { offset: 10, count: 7 },
  ],
  learningRates: [0.1, 0.09],
  momentum: 0.9,
  nesterov: false,
  cost: { l1: 0, l2: 0.01, reduction: 'mean' as const },
};
/** Replicas 1 and 3 of the round: 5 and 3 samples (array_split of 10 and 7 into 4). */
const step: StepMessage = {
  t: 'step',
  step: 8,
  request: 2,
  version: 8,
  epoch: 0,
  batch: 4,
  shards: [
    { offset: 1, count: 5 },
    { offset: 3, count: 3 },
  ],
  reduce: 'each',
  local,
};
const roundTrip = (m: unknown) => decodeMessage(encodeMessage(m as StepMessage), LIMITS, ctx);

describe('step.local', () => {
  it('round-trips a local round whose shards are replicas', () => {
    expect(roundTrip(step)).toEqual(step);
  });

  it('refuses a replica out of range or out of order, a count that is not the replica’s, and bad plan fields', () => {
    const bad = [
      { ...step, shards: [{ offset: 4, count: 3 }] },
      { ...step, shards: [...step.shards].reverse() },
      { ...step, shards: [{ offset: 1, count: 4 }] },
      { ...step, local: { ...local, learningRates: [0.1] } },
      { ...step, local: { ...local, learningRates: [0.1, 0] } },
      { ...step, local: { ...local, momentum: 1 } },
      { ...step, local: { ...local, replicas: 0 } },
      { ...step, local: { ...local, cost: { ...local.cost, reduction: 'max' } } },
      { ...step, reduce: 'sum' },
      { ...step, chain: { round: 1, prev: -1, nextId: -1, chunkFloats: 16 } },
    ];
    for (const m of bad) expectProtocolError(() => roundTrip(m), Code.INVALID);
  });

  it('round-trips a round that crosses an epoch’s end, and refuses epochs out of order or without orders', () => {
    const orders = { epoch: 2, seed: 7, shuffle: true };
    const crossing = { ...step, local: { ...local, orders, steps: [local.steps[0], { ...local.steps[1], epoch: 3 }] } };
    expect(roundTrip(crossing)).toEqual(crossing);
    const withSteps = (steps: object[], o: object | null = orders) => ({
      ...step,
      local: { ...local, ...(o ? { orders: o } : {}), steps },
    });
    const [a, b] = local.steps;
    const bad = [
      withSteps([a, { ...b, epoch: 3 }], null),
      withSteps([{ ...a, epoch: 3 }, b]),
      withSteps([
        { ...a, epoch: 4 },
        { ...b, epoch: 3 },
      ]),
      withSteps([a, { ...b, epoch: 2 }]),
      withSteps([a, { ...b, epoch: 1 }]),
      withSteps([a, { ...b, epoch: 3 }], { ...orders, seed: -1 }),
      withSteps([a, { ...b, epoch: 3 }], { ...orders, shuffle: 'yes' }),
    ];
    for (const m of bad) expectProtocolError(() => roundTrip(m), Code.INVALID);
  });
});
