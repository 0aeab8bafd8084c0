/**
 * A coordinator listening on every address (--host 0.0.0.0 or ::) has no one URL to print: the
 * server says ws://<this-host>:PORT. This puts the machine's own addresses in its place, the one
 * other machines most likely reach first (issue 16 item 12).
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** The placeholder the coordinator's server puts in its URL for a wildcard host. */
const ANY_HOST = '<this-host>';

/**
 * Concrete URLs for a server URL, best first: external IPv4, external IPv6 (not link-local;
 * only when listening on ::), then loopback. A URL with a real host comes back alone.
 * @param url as the server reports it, e.g. ws://<this-host>:7733
 * @param host the --host it listens on
 */
export function listenUrls(
  url: string,
  host: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  if (!url.includes(ANY_HOST)) return [url];
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const v6 = host === '::';
  const rank = (a: NetworkInterfaceInfo): number => (a.internal ? 2 : 0) + (a.family === 'IPv6' ? 1 : 0);
  const usable = all
    .filter((a) => a.family === 'IPv4' || (v6 && a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80')))
    .sort((a, b) => rank(a) - rank(b));
  const urls = [
    ...new Set(usable.map((a) => url.replace(ANY_HOST, a.family === 'IPv6' ? `[${a.address}]` : a.address))),
  ];
  return urls.length > 0 ? urls : [url];
}
