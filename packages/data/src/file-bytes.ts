/**
 * Reading a data file whole, gunzipping it when it starts with the gzip magic bytes (the file
 * name is not consulted, so `digits.csv` may be gzip and `x.gz` may be plain).
 */
import { platform } from '#platform';
import { DataFormatError, ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { GZIP_MAGIC } from './constants.js';

/** True if `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * The contents of `path`, decompressed if gzip.
 * @throws GradswarmError GS_ERR_DATA_IO if the file cannot be read; DataFormatError if its gzip
 *   stream is corrupt
 */
export function readFileBytes(path: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = platform.readFile(path);
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot read data file ${path}: ${fsReason(err)}`, { cause: err });
  }
  if (!isGzip(raw)) return raw;
  try {
    return platform.gunzip(raw);
  } catch (err) {
    throw new DataFormatError(`${path}: corrupt gzip data (${(err as Error).message})`, { cause: err });
  }
}
