/**
 * Issue 16 item 5: a worker that dials the wrong scheme or trusts the wrong certificate is told
 * which, once, in one line, and stops (exit 2) instead of retrying:
 *   wss:// to a plain coordinator  → "does not speak TLS … connect with ws://…" (no OpenSSL text)
 *   ws:// to a TLS coordinator     → "speaks TLS … connect with wss://…" (not "socket hang up")
 *   --tls-ca with another certificate → both SHA-256 fingerprints, not "pass it with --tls-ca"
 * The certificates are made with openssl (skipped, with the reason in the log, without it).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, writeBlobsCsv } from './helpers/cli.js';
import { getStatus } from './helpers/coordinator.js';
import { killAll, start, startCoordinator, type Running } from './helpers/processes.js';
import { hasOpenssl, makeCertificate } from './helpers/certificates.js';

const TOKEN = 'tls-mistakes-integration-token';

const NO_OPENSSL = !hasOpenssl();
if (NO_OPENSSL)
  console.warn('skipping tls-mistakes.integration: openssl is not on PATH (needed to make self-signed certificates)');

/** The lines a finished worker wrote to stderr. */
const lines = (w: Running): string[] =>
  w
    .stderr()
    .split('\n')
    .filter((l) => l !== '');

describe.skipIf(NO_OPENSSL)('gradswarm worker with the wrong scheme or certificate', () => {
  let dir: string;
  let plain: Running & { url: string };
  let secure: Running & { url: string };
  let served: { cert: string; key: string };
  let other: { cert: string; key: string };

  beforeAll(async () => {
    dir = await makeTempDir();
    const csv = join(dir, 'blobs.csv');
    await writeBlobsCsv(csv, { rows: 60 });
    served = makeCertificate(dir, 'served');
    other = makeCertificate(dir, 'other');
    const run = ['--dataset', `csv:${csv}`, '--min-workers', '1', '--local-threads', '0', '--token', TOKEN];
    plain = await startCoordinator(run);
    secure = await startCoordinator([...run, '--tls-cert', served.cert, '--tls-key', served.key]);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  const worker = (url: string, extra: string[] = []): Running =>
    start([
      'worker',
      '--connect',
      url,
      '--token',
      TOKEN,
      '--give-up-after',
      '10s',
      '--threads',
      '1',
      '--data-cache',
      'none',
      ...extra,
    ]);

  it('says a plain coordinator does not speak TLS and names the ws:// address, once, without OpenSSL internals', async () => {
    const url = plain.url.replace(/^ws:/, 'wss:');
    const w = worker(url);
    expect(await w.exited, w.stderr()).toBe(2);
    const errors = lines(w).filter((l) => l.startsWith('gradswarm: error: '));
    expect(errors).toEqual([
      `gradswarm: error: the coordinator at ${url} does not speak TLS (it answered in plain text) - help: connect with ${plain.url}`,
    ]);
    expect(w.stderr()).not.toMatch(/ssl3_get_record|wrong version number|reconnecting/);
    expect(plain.child.exitCode).toBeNull();
  });

  it('says a TLS coordinator speaks TLS and names the wss:// address, instead of "socket hang up"', async () => {
    const url = secure.url.replace(/^wss:/, 'ws:');
    const w = worker(url);
    expect(await w.exited, w.stderr()).toBe(2);
    const errors = lines(w).filter((l) => l.startsWith('gradswarm: error: '));
    expect(errors).toEqual([
      `gradswarm: error: the coordinator at ${url} speaks TLS - help: connect with ${secure.url} (and --tls-ca with its certificate if it is self-signed)`,
    ]);
    expect(w.stderr()).not.toMatch(/socket hang up|reconnecting/);
  });

  it('says a certificate given with --tls-ca is not the coordinator’s, with both fingerprints', async () => {
    const w = worker(secure.url, ['--tls-ca', other.cert]);
    expect(await w.exited, w.stderr()).toBe(2);
    const servedFp = new X509Certificate(await readFile(served.cert)).fingerprint256;
    const otherFp = new X509Certificate(await readFile(other.cert)).fingerprint256;
    const errors = lines(w).filter((l) => l.startsWith('gradswarm: error: '));
    expect(errors).toEqual([
      `gradswarm: error: the coordinator's TLS certificate (SHA-256 ${servedFp}) is not the one given with --tls-ca (SHA-256 ${otherFp}) - help: pass the certificate the coordinator was started with (its --tls-cert)`,
    ]);
    expect(w.stderr()).not.toMatch(/pass it with --tls-ca/);
  });

  it('still tells a worker without --tls-ca to pass one, and both coordinators wait on with no worker', async () => {
    const w = worker(secure.url);
    expect(await w.exited, w.stderr()).toBe(2);
    expect(w.stderr()).toMatch(
      /^gradswarm: error: cannot trust the coordinator's TLS certificate \(self[- ]signed certificate\) - help: pass it with --tls-ca FILE$/m,
    );
    expect(await getStatus(plain.url.replace(/^ws/, 'http'))).toMatchObject({ state: 'waiting', workers: [] });
    expect(await getStatus(secure.url.replace(/^ws/, 'http'), await readFile(served.cert))).toMatchObject({
      state: 'waiting',
      workers: [],
    });
  });
});
