/**
 * Why a connection to the coordinator failed, said so that the user knows what to change
 * (issue 16 item 5). Some failures cannot get better by retrying and end the worker ('refused'):
 *   wss:// to a plain coordinator   OpenSSL's "wrong version number": it answered in plain HTTP
 *   ws:// to a TLS coordinator      only "socket hang up"; a TLS probe of the same port tells
 *   a certificate it cannot trust   without --tls-ca: pass it; with it: not the same certificate
 *                                   (both fingerprints, from a probe that does not verify)
 *   an expired certificate, one for another host name, a path with no endpoint (404)
 * Others are passing ('dropped', retried with backoff): a refused or reset connection, a busy
 * coordinator (HTTP 503 over its cap on connections not yet authenticated).
 */
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';

/** What a failed connection means for the worker. */
export interface ConnectFailure {
  /** refused: stop (retrying cannot help); dropped: retry with backoff. */
  readonly kind: 'refused' | 'dropped';
  readonly message: string;
  /** A probe of the coordinator's port that can tell more (explainConnectFailure). */
  readonly probe?: 'tls' | 'certificate';
}

/** How long a probe may take before it counts as telling nothing. */
const PROBE_TIMEOUT_MS = 3000;

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
/** OpenSSL's words for a TLS client that got plain text back. */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|http request/i;

/**
 * Classifies a WebSocket error from connecting (the synchronous part; see explainConnectFailure).
 * @param url the address the worker dialled (ws:// or wss://)
 * @param caGiven whether a certificate to trust was given (--tls-ca)
 */
export function classifyConnectError(err: Error & { code?: string }, url: string, caGiven: boolean): ConnectFailure {
  const secure = url.startsWith('wss:');
  const code = err.code ?? '';
  const message = err.message.split('\n')[0];
  if (secure && (code === 'EPROTO' || code.startsWith('ERR_SSL_')) && NOT_TLS.test(err.message)) {
    return {
      kind: 'refused',
      message: `the coordinator at ${url} does not speak TLS (it answered in plain text) - help: connect with ${url.replace(/^wss:/, 'ws:')}`,
    };
  }
  if (UNTRUSTED_CODES.has(code)) {
    if (caGiven)
      return {
        kind: 'refused',
        message: `the coordinator's TLS certificate is not the one given with --tls-ca (${message})`,
        probe: 'certificate',
      };
    return {
      kind: 'refused',
      message: `cannot trust the coordinator's TLS certificate (${message}) - help: pass it with --tls-ca FILE`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED')
    return {
      kind: 'refused',
      message: `the coordinator's TLS certificate has expired - help: make a new one for the coordinator's --tls-cert`,
    };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      kind: 'refused',
      message: `the coordinator's TLS certificate is not for the address dialled (${message}) - help: connect with a name or address the certificate holds`,
    };
  }
  if (!secure && message === 'socket hang up') return { kind: 'dropped', message, probe: 'tls' };
  const status = /^Unexpected server response: (\d+)$/.exec(message)?.[1];
  if (status === '503')
    return {
      kind: 'dropped',
      message: 'the coordinator is busy (HTTP 503: too many connections not yet authenticated)',
    };
  if (status === '404')
    return {
      kind: 'refused',
      message: `the coordinator has no worker endpoint at ${url} (HTTP 404) - help: connect to ws://HOST:PORT with no path`,
    };
  return { kind: 'dropped', message };
}

/**
 * Runs the probe a failure asks for and says what it found; a failure without a probe, or a
 * probe that finds nothing, comes back unchanged (without its probe).
 * @param ca the certificate given with --tls-ca, if any
 */
export async function explainConnectFailure(
  failure: ConnectFailure,
  url: string,
  ca: string | Buffer | undefined,
): Promise<ConnectFailure> {
  if (!failure.probe) return failure;
  const plain = { kind: failure.kind, message: failure.message };
  const peer = await probeTls(url);
  if (failure.probe === 'tls') {
    if (!peer) return plain;
    return {
      kind: 'refused',
      message: `the coordinator at ${url} speaks TLS - help: connect with ${url.replace(/^ws:/, 'wss:')} (and --tls-ca with its certificate if it is self-signed)`,
    };
  }
  const given = ca === undefined ? null : certificateFingerprint(ca);
  if (!peer || !given || peer === given)
    return {
      ...plain,
      message: `${failure.message} - help: pass the certificate the coordinator was started with (its --tls-cert)`,
    };
  return {
    kind: 'refused',
    message: `the coordinator's TLS certificate (SHA-256 ${peer}) is not the one given with --tls-ca (SHA-256 ${given}) - help: pass the certificate the coordinator was started with (its --tls-cert)`,
  };
}

/** SHA-256 fingerprint of the first certificate in a PEM, or null if it holds none. */
function certificateFingerprint(pem: string | Buffer): string | null {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}

/**
 * Opens a TLS connection to the URL's host and port without verifying anything (nothing is sent
 * over it) and resolves with the peer certificate's SHA-256 fingerprint, or null if the port
 * does not complete a TLS handshake in time.
 */
function probeTls(url: string): Promise<string | null> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port || (u.protocol === 'wss:' ? 443 : 80));
  } catch {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const isName = /[a-z]/i.test(host) && !host.includes(':');
    const socket = tlsConnect({
      host,
      port,
      rejectUnauthorized: false,
      servername: isName ? host : undefined,
      timeout: PROBE_TIMEOUT_MS,
    });
    const done = (fingerprint: string | null): void => {
      socket.destroy();
      resolve(fingerprint);
    };
    socket.once('secureConnect', () => done(socket.getPeerCertificate().fingerprint256 ?? null));
    socket.once('error', () => done(null));
    socket.once('timeout', () => done(null));
  });
}
