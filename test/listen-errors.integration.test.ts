/**
 * Issue 16 item 4: a coordinator that cannot listen (the port is taken, the address is not the
 * machine's) or cannot use its TLS files (a key that does not match its certificate, a file that
 * is not PEM) says so in one line with a hint and exits 2, before it loads the data set. Every
 * refused run here names a data set that does not exist: had the data been loaded first, the
 * error would be about the data.
 */
import { writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUsageError, makeTempDir, removeTempDir, runCli, writeBlobsCsv } from './helpers/cli.js';
import { killAll, startCoordinator, type Running } from './helpers/processes.js';
import { hasOpenssl, makeCertificate } from './helpers/certificates.js';

const NO_OPENSSL = !hasOpenssl();
if (NO_OPENSSL) console.warn('skipping the TLS cases of listen-errors.integration: openssl is not on PATH');

/** A documentation address (RFC 5737) this machine does not have. */
function foreignAddress(): string {
  const own = new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
  const candidate = ['203.0.113.77', '198.51.100.77', '192.0.2.177'].find((a) => !own.has(a));
  if (!candidate) throw new Error('every candidate address belongs to this machine');
  return candidate;
}

describe('gradswarm coordinator that cannot listen or cannot use its TLS files', () => {
  let dir: string;
  let missingData: string[];
  let first: Running & { url: string };
  let port: number;

  beforeAll(async () => {
    dir = await makeTempDir();
    const csv = join(dir, 'blobs.csv');
    await writeBlobsCsv(csv, { rows: 60 });
    missingData = ['--dataset', `csv:${join(dir, 'no-such-data.csv')}`, '--no-progress'];
    first = await startCoordinator(['--dataset', `csv:${csv}`, '--min-workers', '1', '--local-threads', '0']);
    port = Number(new URL(first.url.replace(/^ws/, 'http')).port);
  });
  afterAll(async () => {
    killAll();
    await removeTempDir(dir);
  });

  it('refuses a port another coordinator holds in one line that suggests --port 0, and the other one keeps running', async () => {
    const result = await runCli(['coordinator', '--port', String(port), ...missingData]);
    expectUsageError(
      result,
      new RegExp(
        `cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .*- help: .*--port 0 to pick a free one`,
      ),
    );
    expect(first.child.exitCode).toBeNull();
  });

  it('refuses an address this machine does not have, listing the ones it has', async () => {
    const host = foreignAddress();
    const result = await runCli(['coordinator', '--host', host, '--port', '0', ...missingData]);
    expectUsageError(
      result,
      new RegExp(
        `cannot listen on ${host.replace(/\./g, '\\.')}:0: ${host.replace(/\./g, '\\.')} is not an address of this machine \\(it has [^)]*127\\.0\\.0\\.1[^)]*\\) - help: use one of those with --host`,
      ),
    );
  });

  it('refuses a host name that does not resolve', async () => {
    const result = await runCli(['coordinator', '--host', 'no-such-host.invalid', '--port', '0', ...missingData]);
    expectUsageError(
      result,
      /cannot listen on no-such-host\.invalid:0: the host name no-such-host\.invalid does not resolve - help: /,
    );
  });

  describe.skipIf(NO_OPENSSL)('TLS files', () => {
    let a: { cert: string; key: string };
    let b: { cert: string; key: string };
    let notPem: string;
    beforeAll(async () => {
      a = makeCertificate(dir, 'a', 'IP:127.0.0.1');
      b = makeCertificate(dir, 'b', 'IP:127.0.0.1');
      notPem = join(dir, 'not-pem.txt');
      await writeFile(notPem, 'this is not a PEM file\n');
    });
    const tls = (cert: string, key: string): Promise<Awaited<ReturnType<typeof runCli>>> =>
      runCli(['coordinator', '--port', '0', '--tls-cert', cert, '--tls-key', key, ...missingData]);

    it('refuses a key that does not belong to the certificate, naming both files', async () => {
      const result = await tls(a.cert, b.key);
      expectUsageError(
        result,
        new RegExp(
          `--tls-key ${b.key} is not the private key of --tls-cert ${a.cert} .* - help: give the key the certificate was made with`,
        ),
      );
    });

    it('refuses a certificate file that is not PEM', async () => {
      expectUsageError(
        await tls(notPem, a.key),
        new RegExp(
          `--tls-cert ${notPem} is not a PEM certificate - help: give the file that begins with -----BEGIN CERTIFICATE-----`,
        ),
      );
    });

    it('refuses a key file that is not PEM', async () => {
      expectUsageError(
        await tls(a.cert, notPem),
        new RegExp(`--tls-key ${notPem} is not a PEM private key .*- help: `),
      );
    });

    it('says in words that a --tls-cert does not exist or a --tls-key is a directory, one line each', async () => {
      const missing = join(dir, 'no-such-cert.pem');
      expectUsageError(
        await tls(missing, a.key),
        new RegExp(
          `cannot read --tls-cert ${missing}: no such file or directory - help: give a PEM file this user can read$`,
          'm',
        ),
      );
      expectUsageError(
        await tls(a.cert, dir),
        new RegExp(`cannot read --tls-key ${dir}: is a directory - help: give a PEM file this user can read$`, 'm'),
      );
    });

    it('says when the certificate and the key are swapped', async () => {
      expectUsageError(
        await tls(a.key, a.cert),
        new RegExp(
          `--tls-cert ${a.key} holds a private key, not a certificate - help: are the certificate and the key swapped\\?`,
        ),
      );
    });

    it('with good files, goes on to load the data (and fails on it, as this data set does not exist)', async () => {
      const result = await tls(a.cert, a.key);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/no-such-data\.csv/);
      expect(result.stderr).not.toContain('    at ');
    });
  });
});
