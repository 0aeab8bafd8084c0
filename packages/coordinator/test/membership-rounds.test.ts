import { describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource, type GradientSource } from '@gradswarm/worker';
import { Membership } from '../src/membership.js';
import { RemoteWorker } from '../src/remote-worker.js';
import { Trainer } from '../src/trainer.js';

const spec: ModelSpec = { layers: [3, 2], hidden: 'relu', output: 'softmax', loss: 'ce' };
const rng = new Rng(1);
const data: LabeledSamples = {
  features: Float32Array.from({ length: 30 }, () => rng.uniform(0, 1)),
  labels: Int32Array.from({ length: 10 }, () => rng.nextInt(2)),
  count: 10,
  featureCount: 3,
  classCount: 2,
};
const link = { sendStep: () => undefined, close: () => undefined, dropped: () => undefined, abandon: () => undefined };

describe('Membership rounds', () => {
  it('numbers rounds, ranks and world size, and starts a new round only when the participants change at a step boundary', () => {
    const local = new InProcessSource({ spec, data, backend: referenceBackend });
    const m = new Membership([local], { log: () => undefined });
    expect(m.round()).toBeNull();
    expect(m.worldSize()).toBe(0);
    m.beginStep(0, m.active());
    m.beginStep(1, m.active());
    expect(m.round()).toMatchObject({ round: 0, fromStep: 0, worldSize: 1 });
    expect(m.rankOf(local)).toBe(0);

    const worker = new RemoteWorker(m.allocateId(), 'w', 1, 'reference', link, 1000);
    m.admit(worker);
    expect(m.round()!.round).toBe(0); // a join counts from the next step boundary
    m.beginStep(2, m.active());
    expect(m.round()).toMatchObject({ round: 1, fromStep: 2, worldSize: 2 });
    expect(m.rankOf(worker)).toBe(1);

    m.departed(worker, 'LEFT', 'bye');
    m.beginStep(3, m.active());
    expect(m.round()).toMatchObject({ round: 2, fromStep: 3, worldSize: 1 });
    expect(m.rankOf(worker)).toBe(-1);
  });

  it('is told every step boundary by the trainer, with the sources the step uses', async () => {
    const local = new InProcessSource({ spec, data, backend: referenceBackend });
    const m = new Membership([local], { log: () => undefined });
    const steps: number[] = [];
    const seen: GradientSource[][] = [];
    const begin = m.beginStep.bind(m);
    m.beginStep = (step, sources) => {
      steps.push(step);
      seen.push([...sources]);
      begin(step, sources);
    };
    await new Trainer(spec, data, m, { epochs: 2, batchSize: 4 }).run();
    expect(steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.every((s) => s.length === 1 && s[0] === local)).toBe(true);
    expect(m.round()).toMatchObject({ round: 0, fromStep: 0, worldSize: 1 });
  });
});
