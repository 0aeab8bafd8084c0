/**
 * Plain words for the system errors users meet: Node's errno names (ENOENT, EISDIR, …) and
 * JSON.parse's messages (which quote the text, new lines included, so they may break a one-line
 * error over several lines). Every "cannot read/write X: <reason>" message uses these.
 */

/** errno code → what it means, as a user reads it. */
const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EBUSY: 'busy',
  EIO: 'input/output error',
};

/**
 * The reason of a file-system error in words ("no such file or directory"); the message for
 * anything that is not an errno error.
 */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && code in FS_REASONS) return FS_REASONS[code];
  return String((err as Error | null)?.message ?? err).replace(/\s+/g, ' ');
}

/**
 * The reason of a JSON.parse failure on one line, with the line and column where V8 gives a
 * position ("Unexpected token } at line 3, column 7").
 * @param text the text that was parsed
 */
export function jsonSyntaxReason(err: unknown, text: string): string {
  const message = String((err as Error | null)?.message ?? err);
  const at = /at position (\d+)/.exec(message);
  let where = '';
  if (at) {
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    where = ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
  }
  // V8 quotes the text near the error, new lines and all: one line, escaped.
  return `${message.replace(/\r?\n/g, '\\n').replace(/\s*\(line \d+ column \d+\)/, '')}${where}`;
}
