/**
 * Where a run writes (--out, --metrics, --report, --trace: files; --checkpoint: a directory), checked
 * before the first step: a run must never train to the end and then find it cannot save. Each
 * path is refused up front if it names the wrong kind of thing (a directory as --out, a file as
 * --checkpoint), lies on a pseudo file system (/proc, /sys: Node's recursive mkdir spins there
 * forever), needs more than its last directory created, or cannot be written (a probe file is
 * created and removed). A missing last directory is created now.
 */
import { closeSync, mkdirSync, openSync, statfsSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { UsageError } from './errors.js';

/** One output a run will write. */
export interface OutputPath {
  /** The flag it came from, without dashes. */
  readonly flag: string;
  readonly path: string;
  readonly kind: 'file' | 'directory';
}

/** The outputs named by a run's flags. */
export function outputPathsOf(args: {
  out?: string;
  metrics?: string;
  report?: string;
  trace?: string;
  checkpoint?: string;
}): OutputPath[] {
  const files = (['out', 'metrics', 'report', 'trace'] as const)
    .filter((flag) => args[flag] !== undefined)
    .map((flag): OutputPath => ({ flag, path: args[flag]!, kind: 'file' }));
  return args.checkpoint === undefined
    ? files
    : [...files, { flag: 'checkpoint', path: args.checkpoint, kind: 'directory' }];
}

/**
 * statfs magic numbers of kernel pseudo file systems (linux/magic.h): writes there are not files.
 * proc, sysfs, cgroup, cgroup2, debugfs, tracefs, securityfs, configfs, bpf, pstore, efivarfs.
 */
const PSEUDO_FS_TYPES = new Set([
  0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x73636673, 0x62656570, 0xcafe4a11, 0x6165676c,
  0xde5e81e4,
]);
/** Where those are mounted, for systems without statfs types. */
const PSEUDO_FS_ROOTS = ['/proc', '/sys'];

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function isPseudoFs(existing: string): boolean {
  const absolute = resolve(existing);
  if (PSEUDO_FS_ROOTS.some((root) => absolute === root || absolute.startsWith(`${root}/`))) return true;
  try {
    return PSEUDO_FS_TYPES.has(Number(statfsSync(existing).type));
  } catch {
    return false;
  }
}

/**
 * The directory an output goes in, checked: it exists as a directory, or only it is missing
 * and its parent is a directory (then it is created). Refuses pseudo file systems.
 * @throws UsageError naming the flag and what is wrong
 */
function prepareDirectory(o: OutputPath, dir: string): void {
  const where = `--${o.flag} ${o.path}`;
  const stats = statOrNull(dir);
  if (stats && !stats.isDirectory())
    throw new UsageError(
      `${where}: ${dir} is a file, not a directory - help: choose a path whose directories are directories`,
    );
  const existing = stats ? dir : dirname(dir);
  if (isPseudoFs(existing))
    throw new UsageError(
      `${where} is on a kernel pseudo file system (like /proc or /sys), not a place for files - help: choose a path on a disk`,
    );
  if (stats) return;
  const parent = statOrNull(existing);
  if (!parent)
    throw new UsageError(
      `${where}: ${existing} does not exist - help: create it first (only the last directory of a path is created)`,
    );
  if (!parent.isDirectory())
    throw new UsageError(
      `${where}: ${existing} is a file, not a directory - help: choose a path whose directories are directories`,
    );
  try {
    mkdirSync(dir);
  } catch (err) {
    throw new GradswarmError(
      ErrorCode.DATA_IO,
      `${where}: cannot create ${dir}: ${fsReason(err)} - help: choose a writable directory`,
      { cause: err },
    );
  }
}

/** Creates and removes a file in `dir`, as the writes at the end will. */
function probeWritable(o: OutputPath, dir: string): void {
  const probe = join(dir, `.gradswarm-probe-${process.pid}-${o.flag}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw new GradswarmError(
      ErrorCode.DATA_IO,
      `--${o.flag} ${o.path}: cannot write in ${dir}: ${fsReason(err)} - help: choose a writable directory`,
      { cause: err },
    );
  }
}

/**
 * Checks one output path and creates its missing last directory.
 * @throws UsageError (wrong kind, pseudo file system, missing directories) or GradswarmError GS_ERR_DATA_IO (not writable)
 */
export function checkOutputPath(o: OutputPath): void {
  const stats = statOrNull(o.path);
  if (o.kind === 'file') {
    if (stats?.isDirectory())
      throw new UsageError(
        `--${o.flag} ${o.path} is a directory - help: name a file, e.g. --${o.flag} ${join(o.path, o.flag === 'report' ? 'report.html' : `${o.flag === 'out' ? 'model' : o.flag}.json`)}`,
      );
    const dir = dirname(o.path);
    prepareDirectory(o, dir);
    probeWritable(o, dir);
  } else {
    if (stats && !stats.isDirectory())
      throw new UsageError(
        `--${o.flag} ${o.path} is a file, not a directory - help: name a directory (only its last part is created if missing)`,
      );
    prepareDirectory(o, o.path);
    probeWritable(o, o.path);
  }
}

/** Checks every output path; see checkOutputPath. */
export function checkOutputPaths(paths: readonly OutputPath[]): void {
  for (const o of paths) checkOutputPath(o);
}

/**
 * Where the model goes when --out cannot be written at the end after all: a generated name in
 * the working directory, then in the temp directory.
 */
export function fallbackModelPaths(now = new Date()): string[] {
  const name = `gradswarm-model-${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}.json`;
  return [resolve(name), join(tmpdir(), name)];
}

/**
 * Writes the model to `out`; if that fails, to the first fallback path that works, and says
 * where. A trained model is never dropped for want of a writable --out.
 * @param write the atomic write (writeFileAtomic)
 * @returns the path written, and whether it is the one asked for
 */
export function writeModelSomewhere(
  out: string,
  text: string,
  write: (path: string, text: string) => void,
  log: (line: string) => void,
): { path: string | null; asked: boolean } {
  try {
    write(out, text);
    return { path: out, asked: true };
  } catch (err) {
    log(`gradswarm: error: ${(err as Error).message}`);
  }
  for (const path of fallbackModelPaths()) {
    try {
      write(path, text);
      log(`the model was written to ${path} instead of ${out}`);
      return { path, asked: false };
    } catch {
      // try the next place
    }
  }
  log(
    `gradswarm: error: the model could not be written anywhere (tried ${out}, the working directory and the temp directory)`,
  );
  return { path: null, asked: false };
}
