/**
 * Ctrl-C and SIGTERM (issue 16 items 2 and 3). A coordinator with a fake worker that answers
 * only the steps a test wants holds a step in flight for as long as the test needs, so what two
 * signals do is observed without any race:
 *   - a signal while the coordinator still waits for workers writes nothing and says so;
 *   - the first Ctrl-C says it stops after this step; a second quits at once, writing the model
 *     as of the last finished step, or saying plainly that nothing was written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepMessage, WorkerResult } from '@gradswarm/protocol';
import { blobsFlags, lastJsonLine, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';
import { joinAsFake, launchCoordinator } from './helpers/coordinator.js';
import { killAll } from './helpers/processes.js';

const TOKEN = 'interrupts-integration-token';
let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 150 });
});

afterEach(() => killAll());

afterAll(async () => {
  await removeTempDir(dir);
});

/** An honest-looking answer: zero gradients, a plausible loss. */
function zeroResult(step: StepMessage, parameterCount: number): WorkerResult {
  const counts =
    step.reduce === 'each' ? step.shards.map((s) => s.count) : [step.shards.reduce((a, s) => a + s.count, 0)];
  return {
    grads: counts.map(() => new Float32Array(parameterCount)),
    lossSums: counts.map((c) => c * 1.1),
    counts,
    computeMs: 1,
  };
}

const coordinatorFlags = (name: string, extra: string[] = []): string[] => [
  '--dataset',
  `csv:${csv}`,
  ...blobsFlags(),
  '--epochs',
  '50',
  '--batch-size',
  '10',
  '--token',
  TOKEN,
  // Long enough that no step in flight ends on its own while a test holds it.
  '--step-timeout',
  '600000',
  '--out',
  join(dir, `${name}.json`),
  '--checkpoint',
  join(dir, `${name}-ckpt`),
  ...extra,
];

describe('signals', () => {
  describe.each(['SIGINT', 'SIGTERM'] as const)(
    '%s while the coordinator waits for workers (issue 16 item 3)',
    (signal) => {
      it('writes no model and no checkpoint, prints no summary and says nothing was written', async () => {
        const name = `waiting-${signal}`;
        const c = await launchCoordinator(coordinatorFlags(name, ['--min-workers', '1']));
        await c.waitFor(/^waiting for 1 worker to join$/m);
        c.child.kill(signal);
        expect(await c.exited).toBe(130);
        expect(c.stderr()).toMatch(/^stopped before the first step: nothing was written$/m);
        expect(c.stdout()).toBe('');
        expect(existsSync(join(dir, `${name}.json`))).toBe(false);
        expect(existsSync(join(dir, `${name}-ckpt`, 'checkpoint.json'))).toBe(false);
      });
    },
  );

  describe('two Ctrl-C (issue 16 item 2)', () => {
    it('the first stops after the step and says so; the second, with no step finished, quits and says nothing was written', async () => {
      const c = await launchCoordinator(coordinatorFlags('twice-none', ['--min-workers', '1', '--local-threads', '1']));
      const fake = await joinAsFake(c.url, TOKEN, c.backend, 'silent-fake');
      await fake.conn.next('step'); // never answered: step 1 stays in flight
      c.child.kill('SIGINT');
      await c.waitFor(/^stopping after this step; press Ctrl-C again to quit without saving/m);
      c.child.kill('SIGINT');
      expect(await c.exited).toBe(130);
      expect(c.stderr()).toMatch(/^quitting now: nothing was written \(no step was taken\)$/m);
      expect(existsSync(join(dir, 'twice-none.json'))).toBe(false);
      expect(existsSync(join(dir, 'twice-none-ckpt', 'checkpoint.json'))).toBe(false);
    });

    it('the second, after a finished step, writes the model and checkpoint as of that step and quits', async () => {
      const out = join(dir, 'twice-one.json');
      const c = await launchCoordinator(
        coordinatorFlags('twice-one', [
          '--min-workers',
          '1',
          '--local-threads',
          '0',
          '--metrics',
          join(dir, 'twice-one-metrics.json'),
        ]),
      );
      const fake = await joinAsFake(c.url, TOKEN, c.backend, 'one-step-fake');
      const first = await fake.conn.next('step');
      fake.conn.sendResult(first, zeroResult(first, c.parameterCount));
      await fake.conn.next('step'); // step 2: never answered
      c.child.kill('SIGINT');
      await c.waitFor(/^stopping after this step; press Ctrl-C again to quit without saving/m);
      c.child.kill('SIGINT');
      expect(await c.exited).toBe(130);
      expect(c.stderr()).toMatch(
        new RegExp(
          `^quitting now: the model as of step 1 was written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
          'm',
        ),
      );
      expect(c.stderr()).toMatch(/^checkpoint at step 1 written to /m);
      expect(c.stderr()).toMatch(/^quitting now: --metrics not written \(they need the end of the run\)$/m);
      const evaluated = await runCli(['eval', '--model', out, '--dataset', `csv:${csv}`, '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(lastJsonLine<{ samples: number }>(evaluated.stdout).samples).toBe(150);
    });
  });
});
