/**
 * Atomic, durable file writes: the bytes go to a temporary file beside the target, which is
 * fsynced, renamed over the target, and then the directory is fsynced so the rename itself
 * survives a crash. A reader sees the old file or the whole new one, never a part; after a crash
 * the target holds one of the two. Used for models, metrics, reports, checkpoints and the
 * worker's data-set cache. Lives in `data` because it is the lowest package that already does
 * file IO, behind the Node-only subpath `@gradswarm/data/node` (the main entry stays
 * browser-safe).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';

/** Errors of fsync on a directory that mean "this platform cannot do it" (Windows), not a failure. */
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP']);

/** Temporary names taken so far by this thread, so two writes never share one. */
let tempCounter = 0;

/**
 * Writes `data` to `path` atomically and durably, creating the parent directories.
 * The temporary file (`.NAME.PID.THREAD.N.tmp` in the same directory) is removed when any step
 * fails.
 * @param path the target file
 * @param data the whole new contents (a string is written as UTF-8)
 * @throws GradswarmError GS_ERR_DATA_IO naming the path and the system error code; `cause` is
 *   the underlying error
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${threadId}.${tempCounter++}.tmp`);
  let created = false;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'wx');
    created = true;
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    created = false;
    fsyncDirectory(dir);
  } catch (err) {
    if (created) removeQuietly(tmp);
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot write ${path}: ${fsReason(err)} - help: ${writeHelp(err)}`, {
      cause: err,
    });
  }
}

/** What to do about a failed write, by its errno code. */
function writeHelp(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space, or choose a path on another disk';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'choose a directory this user can write to';
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EEXIST':
      return 'its directory was removed or replaced meanwhile: create it again, or choose another path';
    case 'EISDIR':
    case 'ENOTEMPTY':
      return 'a directory stands at that path: name a file, or move the directory away';
    default:
      return 'check the directory exists and is writable';
  }
}

/** Makes a rename in `dir` durable; skipped where directories cannot be fsynced. */
function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (err) {
    if (DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    closeSync(fd);
  }
}

/** Deletes a temporary file after a failed write; a failure here must not hide the first one. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the directory itself is unusable: the original error is the one to report.
  }
}
