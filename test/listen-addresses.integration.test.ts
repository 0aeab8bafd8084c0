/**
 * Issue 16 item 12: a coordinator on --host 0.0.0.0 prints the machine's own addresses, not
 * ws://<this-host>:…. Run in a network namespace of its own (root), with loopback and one veth
 * address, so the test knows every address the machine has and opens nothing outside.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsFlags, CLI_BIN, makeTempDir, removeTempDir, REPO_ROOT, writeBlobsCsv } from './helpers/cli.js';

const CAN_NETNS =
  process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']).status === 0;
if (!CAN_NETNS)
  console.warn('skipping the --host 0.0.0.0 test: it needs root, unshare and iproute2 for a network namespace');

let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await makeTempDir();
  csv = join(dir, 'blobs.csv');
  await writeBlobsCsv(csv, { rows: 60 });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe.skipIf(!CAN_NETNS)('coordinator --host 0.0.0.0', () => {
  it("names this machine's addresses in the listening and join lines", async () => {
    const setup =
      'ip link set lo up && ip link add gs0 type veth peer name gs1 && ip addr add 10.9.8.7/24 dev gs0 && ip link set gs0 up && ip link set gs1 up';
    const cli = [
      process.execPath,
      CLI_BIN,
      'coordinator',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--no-progress',
      '--dataset',
      `csv:${csv}`,
      ...blobsFlags(),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('unshare', ['-n', 'sh', '-c', `${setup} && exec ${cli}`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (/^join with: .*$/m.test(stderr)) resolve();
      });
      child.on('close', () => reject(new Error(`exited before the join line:\n${stderr}`)));
    });
    child.kill('SIGKILL');
    await exited;
    expect(stderr).not.toContain('<this-host>');
    expect(stderr).toMatch(
      /^coordinator listening on ws:\/\/10\.9\.8\.7:(\d+) \(GET http:\/\/10\.9\.8\.7:\1\/status\); also ws:\/\/127\.0\.0\.1:\1$/m,
    );
    expect(stderr).toMatch(/^join with: gradswarm worker --connect ws:\/\/10\.9\.8\.7:\d+ --token \w+$/m);
  });
});
