/**
 * The data set of a welcomed run, from where it costs least: this machine's own copy if its
 * fingerprint matches, the cache, or a download from the coordinator in chunks (then cached).
 */
import type { WelcomeMessage } from '@gradswarm/protocol';
import { ProtocolError } from '@gradswarm/protocol';
import { DatasetCache, fingerprintBytes } from './dataset-cache.js';

export interface DatasetSources {
  readonly dataCacheDir?: string;
  readonly localDataset?: Uint8Array;
}

/**
 * @param fetchChunk asks the coordinator for `length` bytes at `offset`
 * @throws ProtocolError GS_ERR_PROTOCOL_INVALID for a chunk of the wrong size or a download
 *   whose fingerprint is not the welcome's
 */
export async function fetchDataset(
  welcome: WelcomeMessage,
  fetchChunk: (offset: number, length: number) => Promise<Uint8Array>,
  sources: DatasetSources,
  log: (line: string) => void,
): Promise<Uint8Array> {
  const { fingerprint, bytes: total } = welcome.dataset;
  const cache = sources.dataCacheDir ? new DatasetCache(sources.dataCacheDir) : null;
  const local = sources.localDataset;
  const localMatches = local !== undefined && fingerprintBytes(local) === fingerprint;
  if (local && !localMatches)
    log(`data set ${fingerprint.slice(0, 12)}: this machine's copy differs (another file or flags)`);
  const held = localMatches ? local! : (cache?.get(fingerprint) ?? null);
  if (held) {
    log(
      localMatches
        ? `data set ${fingerprint.slice(0, 12)}: this machine's copy matches, nothing to download`
        : `data set ${fingerprint.slice(0, 12)} found in the cache`,
    );
    return held;
  }
  const started = performance.now();
  const bytes = new Uint8Array(total);
  for (let offset = 0; offset < total; ) {
    const chunk = await fetchChunk(offset, Math.min(welcome.chunkBytes, total - offset));
    if (chunk.length === 0 || offset + chunk.length > total)
      throw new ProtocolError('GS_ERR_PROTOCOL_INVALID', 'the coordinator sent a data chunk of the wrong size');
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  if (fingerprintBytes(bytes) !== fingerprint)
    throw new ProtocolError(
      'GS_ERR_PROTOCOL_INVALID',
      `the downloaded data set does not match fingerprint ${fingerprint}`,
    );
  try {
    cache?.put(fingerprint, bytes);
  } catch (err) {
    // A full or read-only cache must not cost a re-download per reconnect: train from memory.
    log(`data set ${fingerprint.slice(0, 12)} not cached (${(err as Error).message}); kept in memory`);
  }
  log(
    `downloaded data set ${fingerprint.slice(0, 12)} (${(total / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return bytes;
}
