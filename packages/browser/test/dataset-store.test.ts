import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DatasetStore, datasetKey, matchesFingerprint, sha256Hex } from '../src/dataset-store.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
const fp = createHash('sha256').update(bytes).digest('hex');

describe('the data-set store', () => {
  it('keys a data set by its fingerprint, and only by 64 lowercase hex digits', () => {
    expect(datasetKey(fp)).toBe(`dataset:${fp}`);
    for (const bad of ['', fp.toUpperCase(), fp.slice(1), `${fp}0`, '../x', `${fp.slice(0, 63)}g`])
      expect(() => datasetKey(bad)).toThrow(/must be 64 lowercase hex digits/);
  });

  it('checks bytes against a fingerprint with Web Crypto as node:crypto digests them', async () => {
    expect(await sha256Hex(bytes)).toBe(fp);
    expect(await matchesFingerprint(fp, bytes)).toBe(true);
    const changed = bytes.slice();
    changed[500] ^= 1;
    expect(await matchesFingerprint(fp, changed)).toBe(false);
  });

  it('without IndexedDB (Node) finds nothing and says why it cannot store', async () => {
    const store = new DatasetStore(undefined);
    expect(await store.get(fp)).toBeNull();
    await expect(store.put(fp, bytes)).rejects.toThrow(/this browser has no IndexedDB/);
    await expect(store.get('nope')).rejects.toThrow(/64 lowercase hex digits/);
  });
});
