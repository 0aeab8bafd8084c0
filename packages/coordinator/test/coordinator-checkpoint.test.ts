/**
 * Issue 16 item 14: one failed checkpoint write never ends a run. The run logs it, goes on, and
 * tries again at the next checkpoint step.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { referenceBackend, Rng, type LabeledSamples, type ModelSpec } from '@gradswarm/core';
import { InProcessSource } from '@gradswarm/worker';
import { Coordinator } from '../src/coordinator.js';
import { loadCheckpoint } from '../src/checkpoint.js';

const spec: ModelSpec = { layers: [4, 5, 3], hidden: 'tanh', output: 'softmax', loss: 'ce' };

function data(count = 40): LabeledSamples {
  const rng = new Rng(7);
  return {
    features: Float32Array.from({ length: count * 4 }, () => rng.uniform(0, 1)),
    labels: Int32Array.from({ length: count }, () => rng.nextInt(3)),
    count,
    featureCount: 4,
    classCount: 3,
  };
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('Coordinator', () => {
  describe('checkpoints', () => {
    it('logs a failed checkpoint write, keeps training and writes the next one', async () => {
      dir = await mkdtemp(join(tmpdir(), 'gradswarm-ckpt-'));
      const ckpt = join(dir, 'ckpt');
      // A file where the checkpoint directory should be: every write fails until it is removed.
      await writeFile(ckpt, 'not a directory');
      const d = data();
      const lines: string[] = [];
      const coordinator = new Coordinator({
        spec,
        data: d,
        dataFingerprint: 'f',
        dataName: 'test',
        training: { epochs: 3, batchSize: 10, seed: 1 },
        local: [new InProcessSource({ spec, data: d, backend: referenceBackend })],
        backend: 'reference',
        checkpoint: { dir: ckpt, everySteps: 4 },
        log: (line) => lines.push(line),
      });
      const result = await coordinator.run({
        onStep: async (info) => {
          // After the first failed try (step 4), the directory comes back.
          if (info.step + 1 === 6) await rm(ckpt);
        },
      });
      expect(result.steps).toBe(12);
      expect(result.interrupted).toBe(false);
      expect(lines[0]).toMatch(
        /^checkpoint at step 4 not written: cannot write checkpoint .*ckpt.*; training goes on, the next try is at step 8$/,
      );
      expect(lines.slice(1)).toEqual([
        `checkpoint at step 8 written to ${join(ckpt, 'checkpoint.json')}`,
        `checkpoint at step 12 written to ${join(ckpt, 'checkpoint.json')}`,
      ]);
      expect(loadCheckpoint(ckpt).state.step).toBe(12);
    });

    it('writes a checkpoint at normal completion when the last step is not a checkpoint step (issue 17 item 8)', async () => {
      dir = await mkdtemp(join(tmpdir(), 'gradswarm-ckpt-'));
      const ckpt = join(dir, 'ckpt');
      const d = data();
      const lines: string[] = [];
      const coordinator = new Coordinator({
        spec,
        data: d,
        dataFingerprint: 'f',
        dataName: 'test',
        training: { epochs: 3, batchSize: 10, seed: 1 },
        local: [new InProcessSource({ spec, data: d, backend: referenceBackend })],
        backend: 'reference',
        checkpoint: { dir: ckpt, everySteps: 5 },
        log: (line) => lines.push(line),
      });
      const result = await coordinator.run();
      expect([result.steps, result.interrupted]).toEqual([12, false]);
      const file = join(ckpt, 'checkpoint.json');
      expect(lines).toEqual([
        `checkpoint at step 5 written to ${file}`,
        `checkpoint at step 10 written to ${file}`,
        `checkpoint at step 12 written to ${file}`,
      ]);
      expect(loadCheckpoint(ckpt).state.step).toBe(12);
    });
  });
});
