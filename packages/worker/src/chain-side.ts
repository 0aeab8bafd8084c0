/**
 * A worker's side of the chain reduction (architecture §8): its peer endpoint, which its
 * predecessor dials, and its chain member, which dials its successor or the coordinator's /peer.
 * Under a TLS run (a wss:// coordinator) the endpoint serves wss:// with a certificate made for
 * this process, and the coordinator's /peer is trusted as the control link is (pin or CA).
 */
import { PEER_PATH, type HmacKey } from '@gradswarm/protocol';
import { ChainMember } from './chain-member.js';
import { PeerEndpoint } from './peer-endpoint.js';
import type { PeerTraffic } from './peer-link.js';
import { makePeerCertificate } from './peer-tls.js';
import type { WorkerClientOptions } from './worker-client-options.js';

/**
 * Opens the endpoint on `--peer-port` and makes the member.
 * @param pin the coordinator's pinned certificate SHA-256 (`--tls-fingerprint`), if any
 * @throws Error with one line naming the port if it cannot be bound
 */
export async function openChainSide(
  options: WorkerClientOptions,
  tokenKey: HmacKey,
  pin: string | undefined,
  log: (line: string) => void,
): Promise<{ endpoint: PeerEndpoint; member: ChainMember }> {
  const tls = options.url.startsWith('wss://');
  const endpoint = await PeerEndpoint.open({
    host: options.peerBindHost,
    port: options.peerPort ?? 0,
    tokenKey,
    log,
    ...(tls ? { tls: await makePeerCertificate() } : {}),
  });
  const peerUrl = new URL(options.url);
  peerUrl.pathname = PEER_PATH;
  const trust = tls ? (pin ? { pin } : { ...(options.ca ? { ca: options.ca } : {}) }) : undefined;
  return { endpoint, member: new ChainMember(endpoint, tokenKey, peerUrl.toString(), trust) };
}

/** Bytes of chunk frames over both of a worker's peer links: those it dialled and those its endpoint accepted. */
export function peerTraffic(member: ChainMember | null, endpoint: PeerEndpoint | null): PeerTraffic {
  const dialled = member?.traffic ?? { sentBytes: 0, receivedBytes: 0 };
  const accepted = endpoint?.traffic ?? { sentBytes: 0, receivedBytes: 0 };
  return {
    sentBytes: dialled.sentBytes + accepted.sentBytes,
    receivedBytes: dialled.receivedBytes + accepted.receivedBytes,
  };
}
