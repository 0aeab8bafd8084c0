import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  availableBackends,
  referenceBackend,
  Rng,
  selectBackend,
  type KernelBackend,
  type LabeledSamples,
  type ModelSpec,
} from '@gradswarm/core';
import { InProcessSource } from '@gradswarm/worker';
import { checkResumable, CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from '../src/checkpoint.js';
import { Trainer, type TrainerState } from '../src/trainer.js';
import { resolveTrainingOptions, type TrainingOptions } from '../src/training-options.js';

// The fixture's run (written by the code before checkpoint v2, see fixtures/checkpoint-v1).
const spec: ModelSpec = { layers: [8, 7, 4], hidden: 'sigmoid', output: 'sigmoid', loss: 'bce' };
const data: LabeledSamples = (() => {
  const rng = new Rng(3);
  const count = 53;
  return {
    features: Float32Array.from({ length: count * 8 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(4)),
    count,
    featureCount: 8,
    classCount: 4,
  };
})();
const V1_OPTIONS: TrainingOptions = {
  epochs: 3,
  batchSize: 10,
  learningRate: 0.3,
  seed: 4,
  l1: 0.01,
  l2: 0.02,
  nesterov: true,
  momentum: 0.8,
};
const FIXTURE = new URL('./fixtures/checkpoint-v1/', import.meta.url);
const expectedFinal = JSON.parse(readFileSync(new URL('expected-final.json', FIXTURE), 'utf8')) as {
  steps: number;
  params: string;
};

const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const sources = () => [new InProcessSource({ spec, data, backend: referenceBackend })];
const updaters: Array<KernelBackend | null> = [
  null,
  ...availableBackends()
    .map((n) => selectBackend(n))
    .filter((b) => b.sgdStep && b.adamStep),
];

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gradswarm-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('loadCheckpoint', () => {
  it('reads a version 1 file as sgd and resumes it to the bits of the uninterrupted run', async () => {
    const ckpt = loadCheckpoint(FIXTURE.pathname);
    expect(ckpt.state.optimizer.name).toBe('sgd');
    expect(ckpt.state.optimizer.stepCount).toBe(8);
    expect(Object.keys(ckpt.state.optimizer.buffers)).toEqual(['velocity']);
    // The same flags today resolve to options the upgraded v1 options match.
    expect(() => checkResumable(ckpt, spec, resolveTrainingOptions(V1_OPTIONS), 'fixture')).not.toThrow();
    for (const backend of updaters) {
      const trainer = new Trainer(spec, data, sources(), V1_OPTIONS, backend);
      trainer.restore(ckpt.state);
      const result = await trainer.run();
      expect(result.steps).toBe(expectedFinal.steps);
      expect(b64(result.params), backend?.name ?? 'typescript').toBe(expectedFinal.params);
    }
  });

  it('runs the fixture from the start to the same bits (the sgd optimizer is unchanged)', async () => {
    for (const backend of updaters) {
      const result = await new Trainer(spec, data, sources(), V1_OPTIONS, backend).run();
      expect(b64(result.params), backend?.name ?? 'typescript').toBe(expectedFinal.params);
    }
  });

  it('writes version 2 and refuses a file of an unknown version or optimizer', () => {
    const dir = tempDir();
    const t = new Trainer(spec, data, sources(), { ...V1_OPTIONS, nesterov: false, optimizer: 'adamw' });
    saveCheckpoint(dir, { spec, options: t.options, dataFingerprint: 'x', state: t.state(), minibatchCost: [] });
    const doc = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8'));
    expect(doc.version).toBe(2);
    expect(doc.velocity).toBeUndefined();
    expect(doc.optimizer.name).toBe('adamw');
    expect(Object.keys(doc.optimizer.buffers)).toEqual(['m', 'v']);
    const write = (patch: object): string => {
      const d = tempDir();
      writeFileSync(join(d, CHECKPOINT_FILE), JSON.stringify({ ...doc, ...patch }));
      return d;
    };
    expect(() => loadCheckpoint(write({ version: 3 }))).toThrow(/not a gradswarm checkpoint \(version 1 or 2\)/);
    expect(() => loadCheckpoint(write({ optimizer: { ...doc.optimizer, name: 'lamb' } }))).toThrow(
      /"optimizer" is missing or names no known optimizer/,
    );
    expect(() => loadCheckpoint(write({ optimizer: { ...doc.optimizer, stepCount: -1 } }))).toThrow(
      /optimizer.stepCount/,
    );
  });
});

describe('checkpoint v2', () => {
  for (const optimizer of ['adam', 'adamw'] as const) {
    it(`saves ${optimizer}'s state and resumes it to the bits of an uninterrupted run`, async () => {
      const options: TrainingOptions = {
        epochs: 2,
        batchSize: 10,
        learningRate: 0.01,
        seed: 4,
        l2: 0.02,
        optimizer,
        ...(optimizer === 'adamw' ? { weightDecay: 0.1 } : {}),
      };
      for (const backend of updaters) {
        const whole = await new Trainer(spec, data, sources(), options, backend).run();
        const dir = tempDir();
        const first = new Trainer(spec, data, sources(), options, backend);
        await first.run({
          onStep: (info) => {
            if (info.step === 3) {
              saveCheckpoint(dir, {
                spec,
                options: first.options,
                dataFingerprint: 'x',
                state: first.state(),
                minibatchCost: [],
              });
              first.stop();
            }
          },
        });
        const ckpt = loadCheckpoint(dir);
        expect(ckpt.state.optimizer).toMatchObject({ name: optimizer, stepCount: 4 });
        checkResumable(ckpt, spec, resolveTrainingOptions(options), 'x');
        const second = new Trainer(spec, data, sources(), options, backend);
        second.restore(ckpt.state);
        const resumed = await second.run();
        expect(b64(resumed.params), backend?.name ?? 'typescript').toBe(b64(whole.params));
      }
    });
  }

  it('refuses to resume a checkpoint of another optimizer', () => {
    const dir = tempDir();
    const t = new Trainer(spec, data, sources(), { ...V1_OPTIONS, nesterov: false, optimizer: 'adam' });
    saveCheckpoint(dir, { spec, options: t.options, dataFingerprint: 'x', state: t.state(), minibatchCost: [] });
    expect(() => checkResumable(loadCheckpoint(dir), spec, resolveTrainingOptions(V1_OPTIONS), 'x')).toThrow(
      'the checkpoint was made with optimizer = "adam", this run has "sgd" - help: resume with the same flags',
    );
    expect(() => new Trainer(spec, data, sources(), V1_OPTIONS).restore(loadCheckpoint(dir).state)).toThrow(
      "the saved optimizer state is adam's, this run uses sgd",
    );
  });
});

describe('issue 16 item 15: a checkpoint taken on the last minibatch of an epoch', () => {
  it('resumes (the epoch ends first) to the bits of an uninterrupted run', async () => {
    const options: TrainingOptions = { epochs: 3, batchSize: 10, learningRate: 0.3, seed: 4, l2: 0.02 };
    const whole = new Trainer(spec, data, sources(), options);
    const epochsWhole: number[] = [];
    const reference = await whole.run({ onEpoch: (e) => void epochsWhole.push(e.epoch) });
    let saved: TrainerState | null = null;
    const first = new Trainer(spec, data, sources(), options);
    await first.run({
      onStep: (info) => {
        // 53 samples in batches of 10: six per epoch; step 5 is epoch 1's last.
        if (info.batch === info.batchesPerEpoch - 1 && info.epoch === 0) {
          saved = first.state();
          first.stop();
        }
      },
    });
    expect(saved!).toMatchObject({ epoch: 0, batch: 6, step: 6 });
    const second = new Trainer(spec, data, sources(), options);
    second.restore(saved!);
    const epochsResumed: number[] = [];
    const resumed = await second.run({ onEpoch: (e) => void epochsResumed.push(e.epoch) });
    expect(b64(resumed.params)).toBe(b64(reference.params));
    expect(resumed.steps).toBe(reference.steps);
    // The resumed run ends the saved epoch (its evaluation, its metrics) before going on.
    expect(epochsResumed).toEqual([0, 1, 2]);
  });

  it('still refuses a state past the plan', () => {
    const t = new Trainer(spec, data, sources(), { epochs: 3, batchSize: 10 });
    expect(() => t.restore({ ...t.state(), epoch: 0, batch: 7 })).toThrow(
      'the saved state is at epoch 1 batch 8, past this run',
    );
    expect(() => t.restore({ ...t.state(), epoch: 3, batch: 1 })).toThrow(/past this run's plan/);
    expect(() => t.restore({ ...t.state(), epoch: 3, batch: 0 })).not.toThrow();
  });
});
