import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/write-file-atomic.js';
import { tempDir } from './fixtures/tmp-files.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): GradswarmError {
  try {
    fn();
  } catch (err) {
    return err as GradswarmError;
  }
  throw new Error('expected a throw');
}

/** Whether this process may mount a tmpfs in a private mount namespace (root with unshare). */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return (
    spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { stdio: 'ignore' }).status === 0
  );
}

describe('writeFileAtomic', () => {
  it('writes a string as UTF-8, creating the parent directories, and leaves no temporary file', () => {
    const path = join(tmp.dir, 'a', 'b', 'out.json');
    writeFileAtomic(path, '{"π":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"π":1}\n');
    expect(readdirSync(join(tmp.dir, 'a', 'b'))).toEqual(['out.json']);
  });

  it('writes exactly the bytes of a Uint8Array view at an offset', () => {
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    const path = join(tmp.dir, 'out.bin');
    writeFileAtomic(path, backing.subarray(2, 5));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  });

  it('replaces an existing file whole', () => {
    const path = tmp.write('out.txt', 'old contents that are longer');
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(tmp.dir)).toEqual(['out.txt']);
  });

  it('writes an empty file', () => {
    const path = join(tmp.dir, 'empty');
    writeFileAtomic(path, new Uint8Array(0));
    expect(readFileSync(path).length).toBe(0);
  });

  it('refuses a path whose parent is a file with GS_ERR_DATA_IO naming the path and the system code', () => {
    const parent = tmp.write('plain-file', 'x');
    const err = thrown(() => writeFileAtomic(join(parent, 'out.json'), 'data'));
    expect(err).toBeInstanceOf(GradswarmError);
    expect(err.code).toBe(ErrorCode.DATA_IO);
    expect(err.message).toMatch(
      /^cannot write .*plain-file\/out\.json: (a part of the path is a file, not a directory|is a file, not a directory) - help: its directory was removed or replaced meanwhile/,
    );
    expect((err.cause as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
  });

  it('removes the temporary file when the rename fails (the target is a non-empty directory)', () => {
    const target = join(tmp.dir, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'k');
    const err = thrown(() => writeFileAtomic(target, 'data'));
    expect(err.code).toBe(ErrorCode.DATA_IO);
    expect(err.message).toBe(
      `cannot write ${target}: is a directory - help: a directory stands at that path: name a file, or move the directory away`,
    );
    expect(readdirSync(tmp.dir)).toEqual(['target']);
    expect(readdirSync(target)).toEqual(['keep']);
  });

  // A full disk fails the write itself, after the temporary file exists: mount a 64 KiB tmpfs in
  // a private mount namespace (needs root) and write more than fits from a child process.
  it.skipIf(!canMountTmpfs())(
    'removes the temporary file and keeps the old file when the disk is full (ENOSPC)',
    () => {
      const built = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'write-file-atomic.js');
      expect(existsSync(built), 'run `npx tsc -b` first: the child imports the built module').toBe(true);
      const child = [
        `import { writeFileAtomic } from ${JSON.stringify(new URL(`file://${built}`).href)};`,
        "import { readdirSync, readFileSync, writeFileSync } from 'node:fs';",
        'const dir = process.argv[1];',
        "writeFileSync(dir + '/out', 'old');",
        'let code = null;',
        "try { writeFileAtomic(dir + '/out', new Uint8Array(1 << 20)); } catch (err) { code = [err.code, err.cause?.code]; }",
        "console.log(JSON.stringify({ code, files: readdirSync(dir), old: readFileSync(dir + '/out', 'utf8') }));",
      ].join('\n');
      const script = `mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" --input-type=module -e "$3" "$1"`;
      const run = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', tmp.dir, process.execPath, child], {
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ code: [ErrorCode.DATA_IO, 'ENOSPC'], files: ['out'], old: 'old' });
    },
  );
});
