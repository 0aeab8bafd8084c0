/**
 * The full-batch optimizers (issue 14 item 1) through the CLI: cg and lbfgs on the UCI digits
 * with the ex4 network reach the cost measured for them; every evaluation of J and ∇J is one
 * distributed step over the whole training set, so reproducible runs write byte-identical
 * models for 1, 2 and 3 threads and for a coordinator with 1 and 2 workers (cg, lbfgs, tnc); flags of the other
 * kind of optimizer are refused in one line. A run SIGKILLed after a checkpoint and resumed
 * writes the model of the uninterrupted run, byte for byte, for each method.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DIGITS_SPEC,
  expectUsageError,
  lastJsonLine,
  makeTempDir,
  NO_DIGITS,
  removeTempDir,
  runCli,
} from './helpers/cli.js';
import { freePort, killAll, start, startCoordinator, startWorker } from './helpers/processes.js';

const TOKEN = 'fullbatch-integration-token';
/** ex4's network and cost (sigmoid units, cross-entropy on sigmoid outputs, λ = 1, ε = 0.12) on the UCI digits. */
const EX4 = [
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '25',
  '--hidden',
  'sigmoid',
  '--output',
  'sigmoid',
  '--loss',
  'bce',
  '--init',
  'uniform',
  '--l2',
  '1',
  '--seed',
  '2',
  '--eval-every',
  '0',
  '--no-progress',
];

interface Metrics {
  minibatchCost: number[];
  minibatchEvaluations: number[];
  epochs: { epoch: number; cost: number; validationCost?: number }[];
}

interface Summary {
  finalCost: number;
  trainAccuracy: number;
  steps: number;
  fullBatch: { optimizer: string; iterations: number; evaluations: number };
}

describe.skipIf(NO_DIGITS)('train --optimizer cg|lbfgs|tnc', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => killAll());
  afterAll(async () => removeTempDir(dir));

  // Measured with these flags (seed 2, 1437 training digits): cg 0.667 after 30 iterations,
  // lbfgs 0.688; the start is near 6.9 (ten sigmoid outputs at 0.5). The bounds leave room for
  // another kernel backend's last bits only.
  it.each([
    ['cg', 0.7],
    ['lbfgs', 0.72],
  ])('%s reaches its expected cost in 30 iterations, J falling at every one', async (optimizer, bound) => {
    const metrics = join(dir, `${optimizer}-metrics.json`);
    const r = await runCli([
      'train',
      ...EX4,
      '--optimizer',
      optimizer,
      '--max-iter',
      '30',
      '--validation-fraction',
      '0.1',
      '--metrics',
      metrics,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJsonLine<Summary>(r.stdout);
    expect(s.fullBatch).toMatchObject({ optimizer, iterations: 30 });
    expect(s.steps).toBe(30);
    expect(s.finalCost).toBeLessThan(bound);
    expect(s.trainAccuracy).toBeGreaterThan(0.95);
    expect(r.stderr).toMatch(new RegExp(`${optimizer}: stopped: the maximum number of iterations was reached`));
    expect(r.stderr).toMatch(/iteration 30\/30: cost [\d.]+, \d+ evaluations/);
    const m = JSON.parse(await readFile(metrics, 'utf8')) as Metrics;
    expect(m.minibatchCost).toHaveLength(30);
    for (let k = 1; k < 30; k++) {
      expect(m.minibatchCost[k]).toBeLessThan(m.minibatchCost[k - 1]);
      expect(m.minibatchEvaluations[k]).toBeGreaterThan(m.minibatchEvaluations[k - 1]);
    }
    expect(m.minibatchEvaluations[29]).toBe(s.fullBatch.evaluations);
    expect(m.minibatchCost[29]).toBe(s.finalCost);
    expect(m.epochs).toHaveLength(30);
    for (const e of m.epochs) expect(e.validationCost).toBeGreaterThan(0);
  });

  it.each(['cg', 'lbfgs', 'tnc'])(
    '%s: SIGKILLed after its checkpoint at iteration 3, --resume writes the uninterrupted model byte for byte',
    async (optimizer) => {
      // The embedded MNIST digits (8000 training samples): slow enough per iteration that the kill
      // lands well before the end.
      const flags = [...EX4.slice(2), '--optimizer', optimizer, '--max-iter', '15', '--reproducible', '4', '--json'];
      const whole = join(dir, `${optimizer}-whole.json`);
      const resumed = join(dir, `${optimizer}-resumed.json`);
      const checkpoint = join(dir, `${optimizer}-checkpoint`);
      const reference = await runCli(['train', ...flags, '--out', whole]);
      expect(reference.code, reference.stderr).toBe(0);
      const withCheckpoints = [...flags, '--checkpoint', checkpoint, '--checkpoint-every', '3', '--out', resumed];
      const killed = start(['train', ...withCheckpoints]);
      await killed.waitFor(/checkpoint at step 3 written/);
      killed.child.kill('SIGKILL');
      expect(await killed.exited).toBeNull();
      await expect(readFile(resumed)).rejects.toThrow(/ENOENT/); // it never got to write its model
      const r = await runCli(['train', ...withCheckpoints, '--resume']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/resuming at epoch \d+, step (3|6)/);
      expect((await readFile(resumed)).equals(await readFile(whole))).toBe(true);
      const [a, b] = [lastJsonLine<Summary>(reference.stdout), lastJsonLine<Summary>(r.stdout)];
      expect(b.fullBatch).toEqual(a.fullBatch);
      expect(b.finalCost).toBe(a.finalCost);
    },
  );

  it('tnc on a coordinator with a worker: the coordinator SIGKILLed after its checkpoint and resumed on its port, the worker rejoining, writes the train model', async () => {
    const flags = [...EX4, '--optimizer', 'tnc', '--max-iter', '15', '--reproducible', '4'];
    const reference = join(dir, 'tnc-train.json');
    const out = join(dir, 'tnc-coordinator.json');
    const r = await runCli(['train', ...flags, '--out', reference]);
    expect(r.code, r.stderr).toBe(0);
    const port = await freePort();
    const coordinator = [
      ...flags,
      ...['--local-threads', '0', '--min-workers', '1', '--token', TOKEN, '--port', String(port), '--out', out],
      ...['--checkpoint', join(dir, 'tnc-coordinator-checkpoint'), '--checkpoint-every', '3'],
    ];
    const first = start(['coordinator', ...coordinator]);
    await first.waitFor(/coordinator listening/);
    const worker = startWorker(`ws://127.0.0.1:${port}`, TOKEN, [
      '--give-up-after',
      '1m',
      '--data-cache',
      join(dir, 'cache'),
    ]);
    await first.waitFor(/checkpoint at step 3 written/);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const second = start(['coordinator', ...coordinator, '--resume']);
    expect(await second.exited, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/resuming at epoch \d+, step (3|6|9)/);
    expect(await worker.exited).toBe(0);
    expect((await readFile(out)).equals(await readFile(reference))).toBe(true);
  });

  it('stops at --max-evaluations and at --gtol', async () => {
    const few = await runCli(['train', ...EX4, '--optimizer', 'tnc', '--max-evaluations', '12', '--json']);
    expect(few.code, few.stderr).toBe(0);
    const s = lastJsonLine<Summary>(few.stdout);
    expect(s.fullBatch.evaluations).toBeGreaterThanOrEqual(12);
    expect(few.stderr).toMatch(/tnc: stopped: the maximum number of evaluations was reached/);
    const loose = await runCli(['train', ...EX4, '--optimizer', 'lbfgs', '--gtol', '0.05', '--json']);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stderr).toMatch(/lbfgs: converged \(the gradient is within gtol\).*\|gradient\|max ([\d.]+)e-(2|3)/);
    expect(lastJsonLine<Summary>(loose.stdout).fullBatch.iterations).toBeLessThan(100);
  });

  it.each(['cg', 'lbfgs', 'tnc'])(
    '%s --reproducible writes byte-identical models for 1, 2 and 3 threads (and --pool-update) and for 1 and 2 workers',
    async (optimizer) => {
      const flags = [...EX4, '--optimizer', optimizer, '--max-iter', '12', '--reproducible', '6'];
      const models: Buffer[] = [];
      // Two threads twice: the second with --pool-update, whose threads then hold the buffers.
      for (const [threads, extra] of [[1], [2], [3], [2, '--pool-update']] as const) {
        const out = join(dir, `${optimizer}-t${threads}${extra ?? ''}.json`);
        const r = await runCli([
          'train',
          ...flags,
          '--threads',
          String(threads),
          ...(extra ? [extra] : []),
          '--out',
          out,
        ]);
        expect(r.code, r.stderr).toBe(0);
        models.push(await readFile(out));
      }
      for (const count of [1, 2]) {
        const out = join(dir, `${optimizer}-w${count}.json`);
        const c = await startCoordinator([
          ...flags,
          '--local-threads',
          '0',
          '--min-workers',
          String(count),
          '--token',
          TOKEN,
          '--out',
          out,
        ]);
        const workers = Array.from({ length: count }, (_, i) =>
          startWorker(c.url, TOKEN, ['--threads', String(1 + (i % 2)), '--data-cache', join(dir, 'cache')]),
        );
        expect(await c.exited, c.stderr()).toBe(0);
        await Promise.all(workers.map((w) => w.exited));
        models.push(await readFile(out));
      }
      for (let i = 1; i < models.length; i++) expect(models[i].equals(models[0]), `run ${i}`).toBe(true);
    },
  );

  it.each([
    [['--optimizer', 'cg', '--batch-size', '50'], /--batch-size is for the minibatch optimizers .*not --optimizer cg/],
    [['--optimizer', 'lbfgs', '--lr', '0.1'], /--lr is for the minibatch optimizers .*line search/],
    [['--optimizer', 'tnc', '--epochs', '5'], /--epochs is .* use --max-iter N/],
    [['--optimizer', 'cg', '--history', '5'], /--history is for --optimizer lbfgs, not cg/],
    [['--optimizer', 'sgd', '--max-iter', '5'], /--max-iter is for the full-batch optimizers, not --optimizer sgd/],
    [['--max-iter', '5'], /--max-iter is for the full-batch optimizers, not --optimizer sgd/],
    [['--optimizer', 'adam', '--gtol', '1e-4'], /--gtol is for the full-batch optimizers/],
    [['--optimizer', 'cg', '--max-iter', '0'], /--max-iter must be a positive integer, got 0/],
    [['--optimizer', 'cg', '--beta1', '0.8'], /--beta1 is for the minibatch optimizers/],
  ])('refuses %j in one line', async (args, message) => {
    expectUsageError(await runCli(['train', ...EX4, ...args]), message);
  });
});
