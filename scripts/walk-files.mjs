/**
 * The file walk of the lint scripts (size-report.mjs): every file below
 * a folder whose name a filter accepts, in sorted order, skipping dependencies and build output.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', '.git', 'coverage']);

/** Paths of the files below `dir` (none if it does not exist) whose name `accept` takes. */
export function walkFiles(dir, accept, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walkFiles(path, accept, out);
    } else if (accept(name)) out.push(path);
  }
  return out;
}
