/**
 * Checkpoints through the CLI: a checkpoint taken on an epoch's last minibatch resumes (issue 16
 * item 15: README's `--checkpoint-every 100` on the default data wrote one at step 800), and an
 * adamw run's checkpoint (format v2, the optimizer's state) resumes to the same bytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';

let dir: string;
let data: string[];

beforeAll(async () => {
  dir = await makeTempDir();
  await writeBlobsCsv(join(dir, 'train.csv'), { rows: 150, seed: 1 });
  await writeBlobsCsv(join(dir, 'test.csv'), { rows: 30, seed: 2 });
  // 150 samples in batches of 10: 15 steps per epoch.
  data = [
    '--dataset',
    `csv:${join(dir, 'train.csv')}`,
    '--test',
    `csv:${join(dir, 'test.csv')}`,
    '--batch-size',
    '10',
    '--no-progress',
  ];
});

afterAll(async () => {
  await removeTempDir(dir);
});

async function train(name: string, flags: string[]): Promise<Buffer> {
  const out = join(dir, `${name}.json`);
  const result = await runCli(['train', ...data, ...flags, '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  return readFile(out);
}

describe('train --checkpoint', () => {
  it('resumes a checkpoint taken on the last minibatch of an epoch, to the bytes of an uninterrupted run (issue 16 item 15)', async () => {
    const ckpt = join(dir, 'epoch-end');
    await train('first-epoch', [...blobsFlags(), '--epochs', '1', '--checkpoint', ckpt, '--checkpoint-every', '15']);
    const saved = JSON.parse(await readFile(join(ckpt, 'checkpoint.json'), 'utf8'));
    expect(saved.position).toMatchObject({ epoch: 0, batch: 15, step: 15 });
    const resumed = await train('resumed', [...blobsFlags(), '--epochs', '3', '--checkpoint', ckpt, '--resume']);
    const reference = await train('reference', [...blobsFlags(), '--epochs', '3']);
    expect(resumed.equals(reference)).toBe(true);
  });

  it('resumes an adamw run from its checkpoint (optimizer state in format v2) to the bytes of an uninterrupted run', async () => {
    const flags = [
      ...blobsFlags({ lr: '0.01' }),
      '--optimizer',
      'adamw',
      '--weight-decay',
      '0.05',
      '--beta2',
      '0.99',
      '--epochs',
      '2',
    ];
    const ckpt = join(dir, 'adamw');
    await train('adamw-part', [...flags, '--steps', '7', '--checkpoint', ckpt, '--checkpoint-every', '7']);
    const saved = JSON.parse(await readFile(join(ckpt, 'checkpoint.json'), 'utf8'));
    expect(saved.version).toBe(2);
    expect(saved.optimizer).toMatchObject({ name: 'adamw', stepCount: 7 });
    const resumed = await train('adamw-resumed', [...flags, '--checkpoint', ckpt, '--resume']);
    const reference = await train('adamw-reference', flags);
    expect(resumed.equals(reference)).toBe(true);
    const sgd = await train('sgd', [...blobsFlags({ lr: '0.01' }), '--epochs', '2']);
    expect(sgd.equals(reference)).toBe(false);
  });

  it('refuses to resume a checkpoint with another optimizer, naming the flag', async () => {
    const ckpt = join(dir, 'adamw');
    const result = await runCli([
      'train',
      ...data,
      ...blobsFlags({ lr: '0.01' }),
      '--epochs',
      '2',
      '--checkpoint',
      ckpt,
      '--resume',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^gradswarm: error: the checkpoint was made with optimizer = "adamw", this run has "sgd" - help: resume with the same flags$/m,
    );
  });
});
