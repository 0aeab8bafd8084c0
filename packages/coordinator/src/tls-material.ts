/**
 * Checks a TLS certificate and key before the coordinator serves with them, so a wrong file is
 * one line naming the file and the fix instead of an OpenSSL error and a stack trace after the
 * data set has loaded. Each part is checked on its own (certificate, key, then the pair), because
 * OpenSSL's "no start line" does not say which of the two files it could not read.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ErrorCode, GradswarmError } from '@gradswarm/core';

/** A PEM certificate and its private key, and how to name them in an error. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** How an error names the certificate, e.g. "--tls-cert cert.pem" ["the TLS certificate"]. */
  readonly certName?: string;
  /** How an error names the key, e.g. "--tls-key key.pem" ["the TLS key"]. */
  readonly keyName?: string;
}

const text = (pem: string | Buffer): string => (typeof pem === 'string' ? pem : pem.toString('latin1'));
const firstLine = (err: unknown): string =>
  ((err as Error)?.message ?? String(err)).split('\n')[0].replace(/^error:[0-9A-F]+:/, '');

/**
 * Checks that `cert` is a PEM certificate, `key` a PEM private key, and that the key belongs to
 * the certificate.
 * @returns the certificate's SHA-256 fingerprint (colon-separated hex, as openssl prints it)
 * @throws GradswarmError GS_ERR_TLS naming the file at fault and how to fix it
 */
export function checkTlsMaterial(material: TlsMaterial): string {
  const certName = material.certName ?? 'the TLS certificate';
  const keyName = material.keyName ?? 'the TLS key';
  const fail = (message: string, cause: unknown): never => {
    throw new GradswarmError(ErrorCode.TLS, message, { cause });
  };
  let fingerprint = '';
  try {
    if (!text(material.cert).includes('-----BEGIN CERTIFICATE-----')) throw new Error('');
    fingerprint = new X509Certificate(material.cert).fingerprint256;
  } catch (err) {
    const swapped = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text(material.cert));
    const why = firstLine(err) === '' ? '' : ` (${firstLine(err)})`;
    fail(
      swapped
        ? `${certName} holds a private key, not a certificate - help: are the certificate and the key swapped?`
        : `${certName} is not a PEM certificate${why} - help: give the file that begins with -----BEGIN CERTIFICATE-----`,
      err,
    );
  }
  try {
    createPrivateKey(material.key);
  } catch (err) {
    const pem = text(material.key);
    if (pem.includes('-----BEGIN CERTIFICATE-----'))
      fail(`${keyName} holds a certificate, not a private key - help: are the certificate and the key swapped?`, err);
    if (pem.includes('ENCRYPTED'))
      fail(
        `${keyName} is encrypted with a passphrase - help: give an unencrypted copy (openssl pkey -in KEY -out PLAIN)`,
        err,
      );
    fail(
      `${keyName} is not a PEM private key (${firstLine(err)}) - help: give the file that begins with -----BEGIN PRIVATE KEY-----`,
      err,
    );
  }
  try {
    createSecureContext({ cert: material.cert, key: material.key });
  } catch (err) {
    fail(
      `${keyName} is not the private key of ${certName} (${firstLine(err)}) - help: give the key the certificate was made with`,
      err,
    );
  }
  return fingerprint;
}
