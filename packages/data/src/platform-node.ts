/** `#platform` under Node: node:fs, node:zlib, node:path, createRequire and node:crypto. See platform.ts. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DataPlatform } from './platform.js';

/** The Node build of `#platform`. */
export const platform: DataPlatform = {
  readFile: (path) => readFileSync(path),
  gunzip: (bytes) => gunzipSync(bytes),
  exists: (path) => existsSync(path),
  isDirectory: (path) => statSync(path).isDirectory(),
  joinPath: (dir, name) => join(dir, name),
  requireMnist: () => createRequire(import.meta.url)('mnist'),
  sha256Hex: (parts) => {
    const hash = createHash('sha256');
    for (const p of parts) hash.update(p);
    return hash.digest('hex');
  },
};
