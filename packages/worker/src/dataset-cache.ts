/**
 * The worker's on-disk data-set cache: encoded data sets stored by content fingerprint, so a
 * worker downloads a data set once and reuses it across runs and reconnects.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@gradswarm/data/node';

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** sha256 of the encoded bytes: the data set's fingerprint. */
export function fingerprintBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class DatasetCache {
  constructor(readonly dir: string) {}

  private path(fingerprint: string): string {
    if (!FINGERPRINT.test(fingerprint))
      throw new RangeError(`fingerprint must be 64 hex characters, got ${JSON.stringify(fingerprint)}`);
    return join(this.dir, `${fingerprint}.gsdata`);
  }

  /** The cached bytes, or null if absent or corrupt (a corrupt file is ignored and re-downloaded). */
  get(fingerprint: string): Uint8Array | null {
    const path = this.path(fingerprint);
    if (!existsSync(path)) return null;
    const bytes = new Uint8Array(readFileSync(path));
    return fingerprintBytes(bytes) === fingerprint ? bytes : null;
  }

  /**
   * Stores bytes under their fingerprint (atomically, so readers never see half a file).
   * @throws GradswarmError GS_ERR_DATA_IO if the cache directory cannot be written
   */
  put(fingerprint: string, bytes: Uint8Array): void {
    writeFileAtomic(this.path(fingerprint), bytes);
  }
}
