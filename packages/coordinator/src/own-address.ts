/**
 * Which addresses name this coordinator, for the connection binding on plain ws (a worker's MAC
 * covers the address it dialled; one that dialled a relay is refused here), and the SHA-256
 * fingerprint of a TLS certificate (bound into the MAC on wss, printed in the join command).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { normalizeFingerprint } from '@gradswarm/protocol';

/**
 * Lowercase hex SHA-256 of the first certificate of a PEM file.
 * @throws Error (from node:crypto) if the PEM holds no certificate
 */
export function certificateFingerprint(pem: string | Buffer): string {
  return normalizeFingerprint(new X509Certificate(pem).fingerprint256);
}

/**
 * Whether `dialled` (`ws://host:port`, as normalizeDialled writes it) names this coordinator:
 * the port it listens on, and a host that is one of its own — `extraHosts` (the listen host,
 * the connection's local address), an address of one of its network interfaces, `localhost`
 * or its host name. A name is not resolved: a worker that dials this machine by another DNS
 * name needs wss://, whose certificate binds the connection instead.
 */
export function isOwnAddress(dialled: string, port: number, extraHosts: readonly string[]): boolean {
  const match = /^wss?:\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(dialled);
  if (!match || Number(match[2]) !== port) return false;
  const host = unmapped(match[1].replace(/^\[(.*)\]$/, '$1').toLowerCase());
  const own = new Set<string>([
    'localhost',
    hostname().toLowerCase(),
    ...extraHosts.map((h) => unmapped(h.toLowerCase())),
  ]);
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) own.add(unmapped(i.address.toLowerCase()));
  if (own.has(host)) return true;
  // 127.0.0.0/8 is all this machine.
  return isIP(host) === 4 && host.startsWith('127.');
}

/** `::ffff:1.2.3.4` → `1.2.3.4` (how a dual-stack socket shows an IPv4 peer). */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
