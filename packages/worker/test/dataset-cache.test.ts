import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetCache, fingerprintBytes } from '../src/dataset-cache.js';

describe('DatasetCache', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'gs-cache-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stores bytes under their fingerprint and returns them', () => {
    const cache = new DatasetCache(join(fresh(), 'nested'));
    const bytes = Uint8Array.of(1, 2, 3, 4);
    const fp = fingerprintBytes(bytes);
    expect(cache.get(fp)).toBeNull();
    cache.put(fp, bytes);
    expect(cache.get(fp)).toEqual(bytes);
    expect(readdirSync(cache.dir)).toEqual([`${fp}.gsdata`]);
  });

  it('ignores a cached file whose content no longer matches its fingerprint', () => {
    const dir = fresh();
    const cache = new DatasetCache(dir);
    const fp = fingerprintBytes(Uint8Array.of(9, 9));
    writeFileSync(join(dir, `${fp}.gsdata`), Uint8Array.of(9, 8));
    expect(cache.get(fp)).toBeNull();
  });

  it('refuses a fingerprint that is not 64 hex characters (no path tricks)', () => {
    expect(() => new DatasetCache(fresh()).get('../../etc/passwd')).toThrow(RangeError);
  });
});
