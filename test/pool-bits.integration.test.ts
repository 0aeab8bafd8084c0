/**
 * The pool's channel (issue 11 item 5) moved no bit: model files of local runs hash as the
 * build before it wrote them (commit 23a9d6a, Piscina postMessage per job). The reference
 * kernels make the files the same on every CPU. Default mode with 2 and 3 threads (its bits
 * depend on the thread count, not on the hand-off), the shared update, reproducible mode for
 * 1, 2 and 3 threads, and a local-SGD round.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';

const base = [
  'train',
  '--dataset',
  DIGITS_SPEC,
  '--layers',
  '20',
  '--epochs',
  '2',
  '--batch-size',
  '100',
  '--no-progress',
  '--json',
  '--kernel',
  'reference',
  '--l1',
  '0.001',
];

const reproducible = ['--reproducible', '4', '--optimizer', 'adam'];

/** SHA-256 of each model file as the build before the channel wrote it. */
const BEFORE: readonly { readonly args: readonly string[]; readonly sha256: string }[] = [
  { args: ['--threads', '2'], sha256: '193e7cebe05e26fc43dbae82123fdcf3ff5ccbe0e7265a30d284115813a854c2' },
  { args: ['--threads', '3'], sha256: 'a6cf0f556c1e1451f908d6488df5f6f1bc63e443f2047cfb7565d6d7d5842776' },
  {
    args: ['--threads', '2', '--pool-update'],
    sha256: '193e7cebe05e26fc43dbae82123fdcf3ff5ccbe0e7265a30d284115813a854c2',
  },
  {
    args: ['--threads', '1', ...reproducible],
    sha256: '652c0107e9c862ca57562f891001e32836bc61962abc0fe16a13c1260f041d77',
  },
  {
    args: ['--threads', '2', ...reproducible, '--pool-update'],
    sha256: '652c0107e9c862ca57562f891001e32836bc61962abc0fe16a13c1260f041d77',
  },
  {
    args: ['--threads', '3', ...reproducible],
    sha256: '652c0107e9c862ca57562f891001e32836bc61962abc0fe16a13c1260f041d77',
  },
  {
    args: ['--threads', '2', '--sync-every', '4', '--replicas', '2'],
    sha256: 'c1fbafe37269273520afe687d42bb8255373e109b81d977ff79a6aec10bfa72e',
  },
];

describe('the pool channel keeps the bits of the Piscina hand-off', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => removeTempDir(dir));

  it.skipIf(NO_DIGITS)('writes the model files the build before it wrote, byte for byte', async () => {
    for (const [k, { args, sha256 }] of BEFORE.entries()) {
      const out = join(dir, `model-${k}.json`);
      const r = await runCli([...base, ...args, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const hash = createHash('sha256')
        .update(await readFile(out))
        .digest('hex');
      expect(hash, args.join(' ')).toBe(sha256);
    }
  });
});
