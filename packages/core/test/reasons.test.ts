import { describe, expect, it } from 'vitest';
import { fsReason, jsonSyntaxReason } from '../src/reasons.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: raw message`), { code });

describe('fsReason', () => {
  it.each([
    ['ENOENT', 'no such file or directory'],
    ['EISDIR', 'is a directory'],
    ['EEXIST', 'is a file, not a directory'],
    ['ENOTDIR', 'a part of the path is a file, not a directory'],
    ['EROFS', 'read-only file system'],
  ])('says %s in words', (code, words) => {
    expect(fsReason(errno(code))).toBe(words);
  });

  it('keeps the message of an error it does not know, on one line', () => {
    expect(fsReason(new Error('strange\nthing'))).toBe('strange thing');
  });
});

describe('jsonSyntaxReason', () => {
  const reason = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (err) {
      return jsonSyntaxReason(err, text);
    }
    throw new Error('parsed');
  };

  it('is one line when the text near the error spans lines', () => {
    expect(reason('{"a": [1,\n2,\nx]}')).not.toContain('\n');
  });

  it('gives the line and column when V8 gives a position', () => {
    expect(reason('{\n"a": 1,\n}')).toMatch(/\(line 3, column 1\)$/);
  });
});
