/**
 * What `gradswarm eval` takes from a model file's training metadata (issue 14, item 5): the
 * stored cost options unless flags override them, and a warning when the data it is given is
 * the data the model was trained on (by content fingerprint).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint, loadDataset } from '@gradswarm/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, lastJsonLine, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';

let dir: string;
let trainCsv: string;
let testCsv: string;
let plainModel: string;
let storedModel: string;

const evalCost = async (
  model: string,
  data: string,
  flags: string[] = [],
): Promise<{ cost: number; stderr: string }> => {
  const result = await runCli(['eval', '--model', model, '--dataset', `csv:${data}`, '--json', ...flags]);
  expect(result.code, result.stderr).toBe(0);
  return { cost: lastJsonLine<{ cost: number }>(result.stdout).cost, stderr: result.stderr };
};

beforeAll(async () => {
  dir = await makeTempDir();
  trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  plainModel = join(dir, 'model.json');
  storedModel = join(dir, 'model-with-metadata.json');
  await writeBlobsCsv(trainCsv, { rows: 150, seed: 1 });
  await writeBlobsCsv(testCsv, { rows: 60, seed: 2 });
  const result = await runCli([
    'train',
    '--dataset',
    `csv:${trainCsv}`,
    '--test',
    `csv:${testCsv}`,
    ...blobsFlags(),
    '--epochs',
    '2',
    '--out',
    plainModel,
  ]);
  expect(result.code, result.stderr).toBe(0);
  // The metadata a model writer records (core's model-metadata.ts), added to the trained model.
  const doc = JSON.parse(await readFile(plainModel, 'utf8')) as Record<string, unknown>;
  const trainFingerprint = fingerprint(loadDataset(`csv:${trainCsv}`));
  await writeFile(
    storedModel,
    JSON.stringify({
      ...doc,
      cost: { l1: 0, l2: 0.5, reduction: 'sum' },
      trainedOn: { name: `csv:${trainCsv}`, fingerprint: trainFingerprint },
    }),
  );
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('gradswarm eval with a model file that records its training', () => {
  it('uses the stored cost options when no cost flag is given', async () => {
    const stored = await evalCost(storedModel, testCsv);
    const explicit = await evalCost(plainModel, testCsv, ['--l1', '0', '--l2', '0.5', '--reduction', 'sum']);
    expect(stored.cost).toBe(explicit.cost);
    expect(stored.cost).not.toBe((await evalCost(plainModel, testCsv)).cost);
  });

  it('lets a flag override one stored option and keeps the others', async () => {
    const overridden = await evalCost(storedModel, testCsv, ['--l2', '0.01']);
    const explicit = await evalCost(plainModel, testCsv, ['--l2', '0.01', '--reduction', 'sum']);
    expect(overridden.cost).toBe(explicit.cost);
  });

  it('warns when evaluated on the data it was trained on, and not on other data', async () => {
    const onTraining = await evalCost(storedModel, trainCsv);
    expect(onTraining.stderr).toMatch(
      /^gradswarm: warning: csv:.*train\.csv is the data .* was trained on \(same fingerprint\).* - help: evaluate on held-out data\n$/,
    );
    expect((await evalCost(storedModel, testCsv)).stderr).toBe('');
  });
});
