/** Chain peer links over TLS on 127.0.0.1: a self-made certificate, pinned by its SHA-256. */
import { X509Certificate } from 'node:crypto';
import { ChunkKind, deriveTokenKey } from '@gradswarm/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerEndpoint } from '../src/peer-endpoint.js';
import { dialPeer, PeerLinkError } from '../src/peer-link.js';
import { makePeerCertificate } from '../src/peer-tls.js';

const TOKEN = 'peer-tls-test-token-01234';
const P = 8;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function tlsEndpoint(): Promise<{ ep: PeerEndpoint; url: string; fingerprint: string }> {
  const tls = await makePeerCertificate();
  const ep = await PeerEndpoint.open({ host: '127.0.0.1', tokenKey: await deriveTokenKey(TOKEN), log: () => {}, tls });
  ep.setParameterCount(P);
  open.push(ep);
  return { ep, url: `wss://127.0.0.1:${ep.port}/`, fingerprint: tls.fingerprint };
}

describe('chain peer links under TLS', () => {
  it('makes a fresh EC certificate per call, its fingerprint the SHA-256 of its DER in lowercase hex', async () => {
    const a = await makePeerCertificate();
    const b = await makePeerCertificate();
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
    const x = new X509Certificate(a.cert);
    expect(x.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(a.fingerprint);
    expect(x.publicKey.asymmetricKeyType).toBe('ec');
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it('carries chunks over wss:// to an endpoint whose certificate is the pinned one', async () => {
    const { ep, url, fingerprint } = await tlsEndpoint();
    expect(ep.fingerprint).toBe(fingerprint);
    const dialled = await dialPeer(url, await deriveTokenKey(TOKEN), 3, 5, P, undefined, { pin: fingerprint });
    open.push({ close: () => dialled.close(1000, 'done') });
    const accepted = await ep.linkFrom(3);
    await dialled.send(ChunkKind.SUM, 1, 0, Float32Array.of(1, 2, 3));
    await accepted.send(ChunkKind.WEIGHTS, 1, 0, Float32Array.of(4));
    expect(Array.from((await accepted.next(ChunkKind.SUM, 1)).floats)).toEqual([1, 2, 3]);
    expect(Array.from((await dialled.next(ChunkKind.WEIGHTS, 1)).floats)).toEqual([4]);
  });

  it('refuses an endpoint whose certificate is not the pinned one, blaming it, before any handshake', async () => {
    const { ep, url } = await tlsEndpoint();
    const other = await makePeerCertificate();
    const err = (await dialPeer(url, await deriveTokenKey(TOKEN), 3, 5, P, undefined, { pin: other.fingerprint }).catch(
      (e) => e,
    )) as PeerLinkError;
    expect(err).toBeInstanceOf(PeerLinkError);
    expect(err.blame).toBe(5);
    expect(err.message).toMatch(
      /cannot open the chain link to worker 5 .*its TLS certificate has SHA-256 [0-9a-f]{64}, not the/,
    );
    // Nothing was authenticated on the endpoint's side.
    await expect(ep.linkFrom(3, 200)).rejects.toThrow(/did not open its chain link/);
  });

  it('refuses a self-made certificate when only the system CAs are trusted', async () => {
    const { url } = await tlsEndpoint();
    await expect(dialPeer(url, await deriveTokenKey(TOKEN), 3, 5, P, undefined, {})).rejects.toThrow(
      /cannot open the chain link to worker 5 .*self[- ]signed certificate/,
    );
  });
});
