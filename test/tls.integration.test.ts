/**
 * wss:// between a coordinator and a worker (issue: "TLS: a worker joins over wss:// with a
 * self-signed certificate it is told to trust"; issue 16 item 17: or whose fingerprint it pins,
 * the fingerprint printed in the join command). The certificate is made with `openssl` for
 * 127.0.0.1 and localhost; the test is skipped, with the reason in the log, when openssl or the
 * digits data set is missing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_SPEC, makeTempDir, NO_DIGITS, removeTempDir, runCli, SHARED_DATA_MISSING } from './helpers/cli.js';
import { getStatus, httpGetText, launchCoordinator, type CoordinatorProcess } from './helpers/coordinator.js';
import { killAll, start } from './helpers/processes.js';
import { hasOpenssl, opensslFingerprint, writeCertificate } from './helpers/certificates.js';

const TOKEN = 'tls-integration-token';
const RUN = ['--dataset', DIGITS_SPEC, '--layers', '16', '--epochs', '2', '--batch-size', '100', '--seed', '3'];

const NO_OPENSSL = !hasOpenssl();

/** `gradswarm worker` on one thread against `url`, with its data cache in `dir` and the given trust flags. */
function startWorker(url: string, dir: string, giveUpAfterMs: number, extra: string[]): ReturnType<typeof start> {
  const flags = ['--connect', url, '--token', TOKEN, ...extra, '--give-up-after', `${giveUpAfterMs}ms`];
  return start(['worker', ...flags, '--threads', '1', '--data-cache', join(dir, 'cache')]);
}

if (NO_OPENSSL)
  console.warn('skipping tls.integration: openssl is not on PATH (needed to make a self-signed certificate)');
if (NO_DIGITS) console.warn(`skipping tls.integration: ${SHARED_DATA_MISSING}`);

describe.skipIf(NO_OPENSSL || NO_DIGITS)('gradswarm coordinator --tls-cert with gradswarm worker --tls-ca', () => {
  let dir: string;
  let certPath: string;
  let cert: Buffer;
  let c: CoordinatorProcess;

  beforeAll(async () => {
    dir = await makeTempDir();
    certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    writeCertificate(certPath, keyPath);
    cert = await readFile(certPath);
    c = await launchCoordinator([
      ...RUN,
      '--tls-cert',
      certPath,
      '--tls-key',
      keyPath,
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
    ]);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('listens on wss:// and prints a join command that trusts its certificate and names its SHA-256 fingerprint', () => {
    expect(c.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(c.stderr()).toContain(
      `join with: gradswarm worker --connect ${c.url} --token ${TOKEN} --tls-ca ${certPath} --tls-fingerprint ${opensslFingerprint(certPath)}`,
    );
  });

  it('turns away a worker pinning another fingerprint with one line naming both, before it says anything', async () => {
    const wrong = 'ab'.repeat(32);
    const w = startWorker(c.url, dir, 2000, ['--tls-fingerprint', wrong]);
    expect(await w.exited, w.stderr()).toBe(2);
    const lines = w
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('gradswarm: error: '));
    expect(lines).toEqual([
      `gradswarm: error: the coordinator's TLS certificate has fingerprint ${opensslFingerprint(certPath)}, not the pinned ${wrong} - help: check --tls-fingerprint against the join command the coordinator printed`,
    ]);
    expect(c.stderr()).not.toMatch(/^refused /m);
    expect(await getStatus(c.httpUrl, cert)).toMatchObject({ state: 'waiting', step: 0, workers: [] });
  });

  it('serves GET https://…/status to a client that trusts the certificate, and not to one that does not', async () => {
    const status = await getStatus(c.httpUrl, cert);
    expect(c.httpUrl).toMatch(/^https:\/\//);
    expect(status.state).toBe('waiting');
    expect(Array.isArray(status.workers)).toBe(true);
    await expect(httpGetText(`${c.httpUrl}/status`)).rejects.toThrow(/self[- ]signed/i);
  });

  it('turns away a worker without --tls-ca with a certificate error and a non-zero exit, while the coordinator waits on', async () => {
    const w = startWorker(c.url, dir, 2000, []);
    const code = await w.exited;
    expect(code, w.stderr()).not.toBeNull();
    expect(code, w.stderr()).not.toBe(0);
    expect(w.stderr()).toMatch(/self[- ]signed certificate/i);
    expect(w.stderr()).toMatch(/^gradswarm: error: /m);
    expect(c.child.exitCode).toBeNull();
    expect(await getStatus(c.httpUrl, cert)).toMatchObject({ state: 'waiting', step: 0, workers: [] });
  });

  it('lets a worker that pins the fingerprint (and has no --tls-ca) join over wss:// and serve the run to its end; both exit 0', async () => {
    const fp = opensslFingerprint(certPath)
      .replace(/(..)(?!$)/g, '$1:')
      .toUpperCase();
    const w = startWorker(c.url, dir, 5000, ['--tls-fingerprint', fp, '--label', 'pinned-worker']);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await w.exited, w.stderr()).toBe(0);
    expect(w.stderr()).toMatch(/the run is finished/);
    expect(c.stderr()).toMatch(/^worker 1 \(pinned-worker, 1 thread, [^)]+\) joined/m);
    expect(c.stderr()).not.toMatch(/^refused /m);
  });
});

describe.skipIf(NO_OPENSSL || NO_DIGITS)('gradswarm worker --tls-ca over wss://', () => {
  let dir: string;
  let certPath: string;
  let c: CoordinatorProcess;

  beforeAll(async () => {
    dir = await makeTempDir();
    certPath = join(dir, 'cert.pem');
    writeCertificate(certPath, join(dir, 'key.pem'));
    c = await launchCoordinator([
      ...RUN,
      '--tls-cert',
      certPath,
      '--tls-key',
      join(dir, 'key.pem'),
      '--local-threads',
      '0',
      '--min-workers',
      '1',
      '--token',
      TOKEN,
    ]);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('lets a worker with --tls-ca join over wss:// and serve the run to its end; both exit 0', async () => {
    const w = startWorker(c.url, dir, 5000, ['--tls-ca', certPath, '--label', 'tls-worker']);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(await w.exited, w.stderr()).toBe(0);
    expect(w.stderr()).toMatch(/the run is finished/);
    expect(c.stderr()).toMatch(/^worker 1 \(tls-worker, 1 thread, [^)]+\) joined/m);
    expect(c.stderr()).not.toMatch(/^refused /m);
  });
});

describe.skipIf(NO_OPENSSL || NO_DIGITS)('the chain reduction under --tls-cert', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('chains two workers over wss:// peer links (one trusting the CA, one pinning) with the bits of train --reproducible 4', async () => {
    const certPath = join(dir, 'cert.pem');
    writeCertificate(certPath, join(dir, 'key.pem'));
    const ref = join(dir, 'ref.json');
    const t = await runCli(['train', ...RUN, '--reproducible', '4', '--threads', '1', '--out', ref, '--no-progress']);
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'chain.json');
    const c = await launchCoordinator([
      ...RUN,
      '--reproducible',
      '4',
      '--tls-cert',
      certPath,
      '--tls-key',
      join(dir, 'key.pem'),
      '--local-threads',
      '0',
      '--min-workers',
      '2',
      '--token',
      TOKEN,
      '--out',
      out,
    ]);
    const workers = [
      startWorker(c.url, dir, 5000, ['--tls-ca', certPath]),
      startWorker(c.url, dir, 5000, ['--tls-fingerprint', opensslFingerprint(certPath)]),
    ];
    expect(await c.exited, c.stderr()).toBe(0);
    for (const w of workers) expect(await w.exited, w.stderr()).toBe(0);
    expect(c.stderr()).toMatch(/^chain: worker \d → worker \d → coordinator$/m);
    expect(c.stderr()).not.toMatch(/served by the star|refused a chain peer|chain round .*failed/);
    // Both workers sent partial sums along the chain, not results to the coordinator.
    for (const w of workers) expect(w.stderr()).toMatch(/\d+ on the chain: [1-9]\d* bytes sent/);
    expect((await readFile(out)).equals(await readFile(ref))).toBe(true);
  });
});
