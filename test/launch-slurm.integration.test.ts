/**
 * `gradswarm launch` under a real Slurm (issue 12 item 2): scripts/start-slurm.sh brings up a
 * one-node cluster (munged, slurmctld, slurmd; .ci/run starts it before the tests), and
 * `srun --ntasks=3 gradswarm launch …` must write a model byte-identical to single-node
 * `train --reproducible`. Where Slurm cannot be started (not root, no apt, a foreign slurm.conf)
 * the test is skipped with a warning saying why.
 */
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, REPO_ROOT, removeTempDir, runCli } from './helpers/cli.js';
import { freePort, launchEnv, runWithEnv } from './helpers/launch.js';

const TOKEN = 'slurm-integration-token-0123456789';
const REPRODUCIBLE = [
  ...['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'],
  ...['--reproducible', '6', '--threads', '1', '--no-progress'],
];

/** Why Slurm is not usable here, or null once `srun` runs jobs. */
function startSlurm(): string | null {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'start-slurm.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return null;
  return (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' / ');
}

describe.skipIf(NO_DIGITS)('gradswarm launch under Slurm', () => {
  let dir: string;
  let unavailable: string | null = null;
  beforeAll(async () => {
    dir = await makeTempDir();
    unavailable = startSlurm();
    if (unavailable) console.warn(`skipping the Slurm launch test: Slurm could not be started (${unavailable})`);
  }, 600_000);
  afterAll(async () => removeTempDir(dir));

  it('srun --ntasks=3 gradswarm launch writes a model byte-identical to train --reproducible', async (ctx) => {
    if (unavailable) ctx.skip();
    const reference = join(dir, 'ref.json');
    const t = await runCli(['train', ...REPRODUCIBLE, '--out', reference]);
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'srun.json');
    const port = await freePort();
    // Rank 0 listens only where the workers dial it: the address of the node name Slurm gives (loopback here).
    const { address } = await lookup(hostname().split('.')[0]);
    const r = await runWithEnv(
      [
        '--ntasks=3',
        '--kill-on-bad-exit=1',
        '--label',
        process.execPath,
        ...[join(REPO_ROOT, 'packages/cli/bin/gradswarm.js')],
        'launch',
        ...REPRODUCIBLE,
        '--port',
        String(port),
        '--host',
        address,
        '--out',
        out,
      ],
      launchEnv({ GRADSWARM_TOKEN: TOKEN }),
      { command: 'srun', prefix: [], killAfterMs: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(out)).toEqual(await readFile(reference));
    // srun --label puts the task number before each line.
    expect(r.stderr).toMatch(/0: launch: rank 0\/3 \(slurm\): coordinator listening/);
    expect(r.stderr).toMatch(/1: launch: rank 1\/3 \(slurm\): worker: the run is finished/);
    expect(r.stderr).toMatch(/2: launch: rank 2\/3 \(slurm\): worker: the run is finished/);
  });
});
