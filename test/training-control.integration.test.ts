/**
 * Training control and what the model file remembers (issue 14, items 4 and 5), end to end with
 * real runs: early stopping keeps the best validation epoch's weights, --config precedence, a
 * CSV's string labels through train, the model file, eval and predict, --class-names, and eval
 * reusing the stored cost options.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobsFlags,
  expectUsageError,
  lastJsonLine,
  makeTempDir,
  removeTempDir,
  runCli,
  writeBlobsCsv,
} from './helpers/cli.js';

interface ModelFile {
  weights: number[][];
  classNames?: string[];
  cost?: { l1: number; l2: number; reduction: string };
  trainedOn?: { name: string; fingerprint: string };
  image?: { width: number; height: number };
}

let dir: string;
const readModelFile = async (name: string): Promise<ModelFile> =>
  JSON.parse(await readFile(join(dir, name), 'utf8')) as ModelFile;

beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => removeTempDir(dir));

describe('--validation-fraction and --early-stop', () => {
  // A learning rate this high makes the validation cost go up and down on the embedded digits,
  // so the patience runs out before the last epoch and the best epoch is not the last one.
  const flags = [
    'train',
    '--dataset',
    'mnist',
    '--layers',
    '30',
    '--lr',
    '0.5',
    '--threads',
    '1',
    '--reproducible',
    '2',
    '--validation-fraction',
    '0.2',
    '--no-progress',
  ];

  it('stops when the patience runs out and writes the best validation epoch’s model', async () => {
    const stopped = await runCli([...flags, '--epochs', '12', '--early-stop', '2', '--out', join(dir, 'es.json')]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toContain('validation: 1600 of the training samples held out');
    const line = stopped.stderr.match(
      /epoch (\d+)\/12: .*validation cost ([\d.]+) - early stop: no lower validation cost for 2 epochs; keeping epoch (\d+) \(([\d.]+)\)/,
    );
    expect(line, stopped.stderr).not.toBeNull();
    const [lastEpoch, best] = [Number(line![1]), Number(line![3])];
    expect(lastEpoch).toBe(best + 2);
    expect(stopped.stderr).toContain(`model of epoch ${best} kept`);
    // Every epoch's validation cost is logged; the kept one is the lowest of them.
    const costs = [...stopped.stderr.matchAll(/epoch \d+\/12: .*?validation cost ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(costs).toHaveLength(lastEpoch);
    expect(Math.min(...costs)).toBe(costs[best - 1]);

    // The same run cut at the best epoch has the very same weights; the run's last epoch has others.
    const atBest = await runCli([...flags, '--epochs', String(best), '--out', join(dir, 'best.json')]);
    const atLast = await runCli([...flags, '--epochs', String(lastEpoch), '--out', join(dir, 'last.json')]);
    expect(atBest.code, atBest.stderr).toBe(0);
    expect(atLast.code, atLast.stderr).toBe(0);
    const kept = (await readModelFile('es.json')).weights;
    expect(kept).toEqual((await readModelFile('best.json')).weights);
    expect(kept).not.toEqual((await readModelFile('last.json')).weights);
  });

  it('refuses --early-stop without a validation set, and bad fractions, in one line', async () => {
    expectUsageError(await runCli(['train', '--early-stop', '3']), /--early-stop needs a validation set/);
    expectUsageError(
      await runCli(['train', '--validation-fraction', '1.5']),
      /--validation-fraction must be in \(0, 1\), got 1.5/,
    );
    expectUsageError(
      await runCli(['train', '--validation-fraction', '0.1', '--early-stop', '0']),
      /--early-stop must be a positive integer/,
    );
  });
});

describe('--config FILE', () => {
  it('takes the file’s settings, and the flags typed override them (JSON and YAML)', async () => {
    const csv = join(dir, 'blobs.csv');
    await writeBlobsCsv(csv, { rows: 300 });
    const yaml = join(dir, 'run.yaml');
    await writeFile(
      yaml,
      `# a comment\nepochs: 4\nbatch-size: 30\nseed: 7\nlayers: [6]\nschedule: cosine\nprogress: false\n`,
    );
    const json = join(dir, 'run.json');
    await writeFile(json, JSON.stringify({ epochs: 4, batchSize: 30, seed: 7, layers: '6', schedule: 'cosine' }));
    for (const [file, order] of [
      [yaml, 'flag first'],
      [json, 'config first'],
    ] as const) {
      const typed = ['--epochs', '2', '--dataset', `csv:${csv}`, '--json', '--metrics', join(dir, 'm.json')];
      const args =
        order === 'flag first' ? ['train', ...typed, '--config', file] : ['train', '--config', file, ...typed];
      const result = await runCli(args);
      expect(result.code, result.stderr).toBe(0);
      const summary = lastJsonLine<{ epochs: number; layers: number[] }>(result.stdout);
      expect(summary.epochs, `${file}, ${order}`).toBe(2); // the typed flag
      expect(summary.layers).toEqual([3, 6, 3]); // the file's
      const options = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8')).run.options;
      expect(options).toMatchObject({ batchSize: 30, seed: 7, decayKind: 'cosine', epochs: 2 });
    }
  });

  it('refuses an unknown key, a wrongly typed value and an unreadable file in one line', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'epochs: 2\nbatch_size: 30\n');
    expectUsageError(await runCli(['train', '--config', bad]), /--config .*bad\.yaml: unknown key "batch_size"/);
    await writeFile(bad, 'epochs: "two"\n');
    expectUsageError(await runCli(['train', '--config', bad]), /bad\.yaml: "epochs" must be a number, got "two"/);
    await writeFile(bad, 'epochs: [1\n');
    expectUsageError(await runCli(['train', '--config', bad]), /bad\.yaml: not valid JSON or YAML/);
    expectUsageError(await runCli(['train', '--config', join(dir, 'none.json')]), /cannot read it \(no such file\)/);
    await writeFile(bad, 'schedule: sometimes\n');
    expectUsageError(
      await runCli(['train', '--config', bad]),
      /--schedule got "sometimes", Choices: "inverse", "compound", "step", "cosine"/,
    );
  });
});

describe('the model file remembers its training', () => {
  const names = ['bird', 'cat', 'dog'];
  /** The blobs CSV with class c written as names[c]. */
  async function namedCsv(file: string, rows: number, seed: number): Promise<string> {
    const path = join(dir, file);
    await writeBlobsCsv(path, { rows, seed });
    const text = await readFile(path, 'utf8');
    const named = text.replace(/,(\d)$/gm, (_, c: string) => `,${names[Number(c)]}`);
    // Written in another order than sorted, so the mapping cannot be the order of appearance.
    await writeFile(path, `x,y,z,animal\n${named.split('\n').reverse().join('\n').trim()}\n`);
    return path;
  }

  it('maps a CSV’s string labels, stores them, and eval and predict name the classes', async () => {
    const train = await namedCsv('animals.csv', 300, 1);
    const test = await namedCsv('animals-test.csv', 90, 2);
    const out = join(dir, 'animals.json');
    const trained = await runCli([
      'train',
      '--dataset',
      `csv:${train}`,
      '--test',
      `csv:${test}`,
      ...blobsFlags({ epochs: '20', l2: '0.2' }),
      '--no-progress',
      '--json',
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = lastJsonLine<{ testAccuracy: number; testCost: number }>(trained.stdout);
    expect(summary.testAccuracy).toBeGreaterThan(0.9);
    const model = await readModelFile('animals.json');
    expect(model.classNames).toEqual(names);
    expect(model.cost).toEqual({ l1: 0, l2: 0.2, reduction: 'mean' });
    expect(model.trainedOn?.name).toBe(`csv:${train}`);
    expect(model.image).toBeUndefined();

    // eval maps the names back, uses the stored l2 (no flag), and gives the training run's test figures.
    const ev = await runCli(['eval', '--model', out, '--dataset', `csv:${test}`, '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stderr).toBe('');
    const evJson = lastJsonLine<{ accuracy: number; cost: number; perClass: { name: string }[] }>(ev.stdout);
    expect(evJson.accuracy).toBe(summary.testAccuracy);
    expect(evJson.cost).toBeCloseTo(summary.testCost, 12);
    expect(evJson.perClass.map((c) => c.name)).toEqual(names);
    expect(ev.stdout).toMatch(/^ {2}dog\s/m);
    // A flag still overrides the stored cost options.
    const l2zero = lastJsonLine<{ cost: number }>(
      (await runCli(['eval', '--model', out, '--dataset', `csv:${test}`, '--json', '--l2', '0'])).stdout,
    );
    expect(l2zero.cost).toBeLessThan(evJson.cost);

    // On its own training file eval warns that these are training figures.
    const onTrain = await runCli(['eval', '--model', out, '--dataset', `csv:${train}`]);
    expect(onTrain.code).toBe(0);
    expect(onTrain.stderr).toMatch(/^gradswarm: warning: csv:.*animals\.csv is the data .* was trained on/);

    const predicted = await runCli(['predict', '--model', out, '--input', test, '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(predicted.stdout).toContain('"name":"');
  });

  it('a test CSV with a name the training set lacks is refused in one line', async () => {
    const train = await namedCsv('a.csv', 60, 3);
    const other = join(dir, 'b.csv');
    await writeFile(other, 'x,y,z,animal\n1,0,0,cow\n');
    expectUsageError(
      await runCli(['train', '--dataset', `csv:${train}`, '--test', `csv:${other}`, '--no-progress']),
      /b\.csv: line 2, column 4 \(index 3\): label "cow" is not one of the training set's classes \(bird, cat, dog\)/,
    );
  });

  it('--class-names names numbered classes in the model file and in eval', async () => {
    const csv = join(dir, 'numbered.csv');
    await writeBlobsCsv(csv, { rows: 150 });
    const out = join(dir, 'numbered.json');
    const trained = await runCli([
      'train',
      '--dataset',
      `csv:${csv}`,
      ...blobsFlags({ epochs: '3' }),
      '--class-names',
      'low, mid ,high',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect((await readModelFile('numbered.json')).classNames).toEqual(['low', 'mid', 'high']);
    const ev = await runCli(['eval', '--model', out, '--dataset', `csv:${csv}`, '--json']);
    expect(lastJsonLine<{ perClass: { name: string }[] }>(ev.stdout).perClass.map((c) => c.name)).toEqual([
      'low',
      'mid',
      'high',
    ]);
    expectUsageError(
      await runCli(['train', '--dataset', `csv:${csv}`, '--class-names', 'a,b']),
      /--class-names must name all 3 classes, got 2 names \("a,b"\)/,
    );
  });

  it('a run on the embedded digits stores their 28×28 geometry and its data set', async () => {
    const out = join(dir, 'digits.json');
    const r = await runCli(['train', '--steps', '5', '--threads', '1', '--no-progress', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const model = await readModelFile('digits.json');
    expect(model.image).toEqual({ width: 28, height: 28 });
    expect(model.trainedOn?.name).toBe('mnist');
    expect(model.trainedOn?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});
