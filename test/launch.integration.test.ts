/**
 * `gradswarm launch` driven by torchrun's variables (issue 12 item 2): three processes given
 * RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT write a model byte-identical to single-node
 * `train --reproducible`, reading the data locally or downloading it; a missing token stops
 * every rank; a worker whose WORLD_SIZE is not rank 0's is refused, naming both.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli } from './helpers/cli.js';
import { freePort, launchEnv, runWithEnv } from './helpers/launch.js';

const TOKEN = 'launch-integration-token-0123456789';
const RUN = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'];
const REPRODUCIBLE = [...RUN, '--reproducible', '6', '--threads', '1', '--no-progress'];
// Rank 0 listens on loopback only: every rank of these tests is on this machine.
const LAUNCH = ['launch', ...REPRODUCIBLE, '--host', '127.0.0.1'];

function torchrun(rank: number, worldSize: number, port: number, extra: Record<string, string> = {}) {
  return launchEnv({
    RANK: String(rank),
    WORLD_SIZE: String(worldSize),
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port),
    ...extra,
  });
}

describe.skipIf(NO_DIGITS)('gradswarm launch with torchrun-style variables', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => removeTempDir(dir));

  it('three ranks write a model byte-identical to train --reproducible; a worker with its own copy downloads nothing', async () => {
    const reference = join(dir, 'ref.json');
    const t = await runCli(['train', ...REPRODUCIBLE, '--out', reference]);
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'launched.json');
    const port = await freePort();
    const cache = join(dir, 'cache');
    const ranks = await Promise.all(
      [0, 1, 2].map((rank) =>
        runWithEnv(
          // Rank 2's own copy is another split (another --test-fraction): it must download rank 0's.
          [...LAUNCH, '--out', out, '--data-cache', cache, ...(rank === 2 ? ['--test-fraction', '0.3'] : [])],
          torchrun(rank, 3, port, { GRADSWARM_TOKEN: TOKEN }),
        ),
      ),
    );
    for (const r of ranks) expect(r.code, r.stderr).toBe(0);
    expect(await readFile(out)).toEqual(await readFile(reference));
    expect(ranks[0].stderr).toMatch(
      /launch: rank 0\/3 \(torchrun\): coordinator listening on .*waiting for 2 of 2 workers/,
    );
    expect(ranks[0].stderr).toMatch(/2 ready/);
    expect(ranks[1].stderr).toMatch(
      /rank 1\/3 \(torchrun\): data set [0-9a-f]{12}: this machine's copy matches, nothing to download/,
    );
    expect(ranks[1].stderr).not.toMatch(/downloaded data set/);
    expect(ranks[2].stderr).toMatch(/rank 2\/3 \(torchrun\): data set [0-9a-f]{12}: this machine's copy differs/);
    expect(ranks[2].stderr).toMatch(/rank 2\/3 \(torchrun\): downloaded data set/);
    for (const r of ranks.slice(1)) expect(r.stderr).toMatch(/the run is finished/);
  });

  it('reads the token from --token-file as well (a trailing newline dropped); --no-local-data downloads', async () => {
    const tokenFile = join(dir, 'token');
    await import('node:fs/promises').then((fs) => fs.writeFile(tokenFile, `${TOKEN}\n`));
    const port = await freePort();
    const ranks = await Promise.all(
      [0, 1].map((rank) =>
        runWithEnv(
          [...LAUNCH, '--token-file', tokenFile, '--no-local-data', '--data-cache', 'none'],
          torchrun(rank, 2, port),
        ),
      ),
    );
    for (const r of ranks) expect(r.code, r.stderr).toBe(0);
    expect(ranks[1].stderr).toMatch(/rank 1\/2 \(torchrun\): downloaded data set/);
    expect(ranks[1].stderr).not.toMatch(/this machine's copy/);
  });

  it('stops every rank at once without a token, with one line saying where to put it', async () => {
    const port = await freePort();
    const ranks = await Promise.all(
      [0, 1, 2].map((rank) => runWithEnv([...LAUNCH], torchrun(rank, 3, port), { killAfterMs: 30_000 })),
    );
    ranks.forEach((r, rank) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe(
        `gradswarm: error: launch: rank ${rank}/3 (torchrun): no token - help: set GRADSWARM_TOKEN or pass --token-file FILE on every rank, the same secret everywhere (e.g. openssl rand -hex 32)`,
      );
    });
  });

  it('stops a worker rank at once on a bad training flag, without waiting for rank 0', async () => {
    const port = await freePort();
    const r = await runWithEnv([...LAUNCH, '--epochs', '0'], torchrun(1, 2, port, { GRADSWARM_TOKEN: TOKEN }), {
      killAfterMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe('gradswarm: error: --epochs must be a positive integer, got 0');
  });

  it('tells rank 0 to pass --port when MASTER_PORT is taken (torchrun’s agent may hold it)', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as { port: number }).port;
      const r = await runWithEnv([...LAUNCH], torchrun(0, 2, port, { GRADSWARM_TOKEN: TOKEN }));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `rank 0/2 \\(torchrun\\): cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .* - help: torchrun's agent may hold MASTER_PORT; give every rank the same free --port`,
        ),
      );
    } finally {
      holder.close();
    }
  });

  it('refuses a worker whose WORLD_SIZE is not rank 0’s, naming both; one with the right size then joins', async () => {
    const port = await freePort();
    const env = (rank: number, size: number) => torchrun(rank, size, port, { GRADSWARM_TOKEN: TOKEN });
    const rank0 = runWithEnv([...LAUNCH], env(0, 2));
    const wrong = await runWithEnv([...LAUNCH], env(1, 3));
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(
      /the coordinator refused this worker: this worker was launched with WORLD_SIZE=3 but rank 0 with WORLD_SIZE=2 - help: start every rank with the same WORLD_SIZE/,
    );
    const right = await runWithEnv([...LAUNCH], env(1, 2));
    expect(right.code, right.stderr).toBe(0);
    const zero = await rank0;
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stderr).toMatch(/refused .*launched with WORLD_SIZE=3 but rank 0 with WORLD_SIZE=2/);
  });
});
