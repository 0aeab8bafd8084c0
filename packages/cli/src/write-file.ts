/** Atomic file writes: write a temporary file beside the target, then rename over it. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { ErrorCode, GradswarmError } from '@gradswarm/core';

/**
 * Writes `text` to `path` so that a reader sees either the old file or the whole new one.
 * @throws GradswarmError GS_ERR_DATA_IO naming the path if the directory cannot be written
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} - help: check the directory exists and is writable`, { cause: err });
  }
}
