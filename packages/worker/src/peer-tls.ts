/**
 * TLS for chain peer links (architecture §8). Under a TLS run every worker's peer endpoint serves
 * wss:// with a certificate the worker makes for itself at start (ECDSA P-256, self-signed, a week
 * long): no certificate has to be handed to every machine. Its SHA-256 goes to the coordinator in
 * `ready`, over the TLS link that already authenticated both ends, and the coordinator passes it to
 * the predecessor in the step's chain role, which pins it. The last worker dials the coordinator's
 * own wss:// `/peer`, trusting it as it trusts the coordinator (`--tls-ca` or `--tls-fingerprint`).
 */
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { normalizeFingerprint } from '@gradswarm/protocol';
import { generate } from 'selfsigned';
import type WebSocket from 'ws';

/** A peer endpoint's certificate and key (PEM) and the certificate's SHA-256 (64 lowercase hex digits). */
export interface PeerCertificate {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
}

/** How a dialler trusts the far end of a wss:// peer link; absent for ws://. */
export interface PeerTrust {
  /** The certificate must have this SHA-256 (64 lowercase hex digits); name and issuer are not checked. */
  readonly pin?: string;
  /** CA certificates (PEM) it must chain to, with the host name checked; absent: the system's. */
  readonly ca?: string | Buffer;
}

const CERTIFICATE_DAYS = 7;

/** A fresh self-signed certificate for this process's peer endpoint. */
export async function makePeerCertificate(): Promise<PeerCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'gradswarm chain peer' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // An hour of slack for clocks that disagree between machines.
    notBeforeDate: new Date(Date.now() - 3_600_000),
    notAfterDate: new Date(Date.now() + CERTIFICATE_DAYS * 86_400_000),
  });
  return {
    cert: pems.cert,
    key: pems.private,
    fingerprint: normalizeFingerprint(new X509Certificate(pems.cert).fingerprint256),
  };
}

/** Options for `new WebSocket(url, …)` that make it trust the far end as `trust` says. */
export function dialTlsOptions(trust: PeerTrust | undefined): { rejectUnauthorized?: boolean; ca?: string | Buffer } {
  if (!trust) return {};
  // A pinned certificate is checked by its fingerprint on upgrade, before a handshake frame is sent.
  if (trust.pin) return { rejectUnauthorized: false };
  return trust.ca === undefined ? {} : { ca: trust.ca };
}

/**
 * Resolves once `ws` is open, and rejects if the far end's certificate is not the pinned one
 * (then the socket is torn down before anything was sent on it).
 */
export function openPinned(ws: WebSocket, trust: PeerTrust | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (trust?.pin) {
      const pin = trust.pin;
      ws.once('upgrade', (res) => {
        const socket = res.socket as TLSSocket;
        const got =
          typeof socket.getPeerCertificate === 'function'
            ? normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '')
            : '';
        if (got !== pin) {
          ws.terminate();
          reject(new Error(`its TLS certificate has SHA-256 ${got || '(none: not TLS)'}, not the ${pin} it announced`));
        }
      });
    }
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}
