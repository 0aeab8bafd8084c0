/** Self-signed certificates for the TLS tests, made with `openssl` (skipped, with a reason, without it). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Whether `openssl` is on PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes a self-signed RSA certificate and its key, valid a day, for `altNames`. */
export function writeCertificate(certPath: string, keyPath: string, altNames = 'IP:127.0.0.1,DNS:localhost'): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${altNames}`,
    ],
    { stdio: 'ignore' },
  );
}

/** A certificate and key in `dir` named `<name>-cert.pem` and `<name>-key.pem`. */
export function makeCertificate(dir: string, name: string, altNames?: string): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  writeCertificate(cert, key, altNames);
  return { cert, key };
}

/** The certificate's SHA-256 fingerprint as openssl prints it, in lowercase hex without colons. */
export function opensslFingerprint(certPath: string): string {
  const out = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
  });
  return out.trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase();
}
