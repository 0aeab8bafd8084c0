/**
 * The tab's data-set cache: encoded data sets in IndexedDB, keyed by their fingerprint (the
 * SHA-256 of the bytes), so a tab downloads a data set once and a reload or a reconnect takes it
 * from the cache. What is read back is checked against its key: a corrupt or half-written entry
 * is ignored and downloaded again, as `gradswarm worker --data-cache` does with its files.
 */

const DB_NAME = 'gradswarm';
const STORE = 'datasets';
const DB_VERSION = 1;
const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * The IndexedDB key of a data set.
 * @throws RangeError for anything but 64 lowercase hex digits (a key must never be a coordinator's free text)
 */
export function datasetKey(fingerprint: string): string {
  if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint))
    throw new RangeError(`a data-set fingerprint must be 64 lowercase hex digits, got ${JSON.stringify(fingerprint)}`);
  return `dataset:${fingerprint}`;
}

/** Hex SHA-256 of `bytes`, by Web Crypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether `bytes` are the data set named `fingerprint`. */
export async function matchesFingerprint(fingerprint: string, bytes: Uint8Array): Promise<boolean> {
  return (await sha256Hex(bytes)) === fingerprint;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export class DatasetStore {
  private db: Promise<IDBDatabase> | null = null;

  /** @param factory where the databases live [globalThis.indexedDB] */
  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  private open(): Promise<IDBDatabase> {
    if (!this.factory) return Promise.reject(new Error('this browser has no IndexedDB'));
    this.db ??= new Promise((resolve, reject) => {
      const r = this.factory!.open(DB_NAME, DB_VERSION);
      r.onupgradeneeded = () => {
        if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
      r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of an older version'));
    });
    return this.db;
  }

  /** The cached bytes, or null when absent, unreadable or not what the fingerprint names. */
  async get(fingerprint: string): Promise<Uint8Array | null> {
    const key = datasetKey(fingerprint);
    try {
      const db = await this.open();
      const value: unknown = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key));
      if (!(value instanceof ArrayBuffer)) return null;
      const bytes = new Uint8Array(value);
      return (await matchesFingerprint(fingerprint, bytes)) ? bytes : null;
    } catch {
      return null;
    }
  }

  /**
   * Stores the bytes under their fingerprint.
   * @throws Error (rejects) when IndexedDB refuses (private mode, quota): the caller trains from memory
   */
  async put(fingerprint: string, bytes: Uint8Array): Promise<void> {
    const key = datasetKey(fingerprint);
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const copy = bytes.slice().buffer;
    tx.objectStore(STORE).put(copy, key);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted'));
    });
  }
}
