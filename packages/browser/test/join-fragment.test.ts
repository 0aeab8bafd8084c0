import { describe, expect, it } from 'vitest';
import { MAX_TAB_THREADS, parseJoinFragment, threadsFor } from '../src/join-fragment.js';

describe('parseJoinFragment', () => {
  it('reads the token and an optional certificate pin, URL-decoded, with or without the #', () => {
    expect(parseJoinFragment('#token=abc%2Bdef')).toEqual({ token: 'abc+def' });
    expect(parseJoinFragment('token=t')).toEqual({ token: 't' });
    const pin = `${'AB:'.repeat(31)}AB`;
    expect(parseJoinFragment(`#token=t&tls-fingerprint=${pin}`)).toEqual({
      token: 't',
      tlsFingerprint: 'ab'.repeat(32),
    });
  });

  it('says what is wrong with a link without a token or with a bad pin', () => {
    for (const hash of ['', '#', '#token=', '#threads=2'])
      expect(parseJoinFragment(hash)).toEqual({ error: expect.stringMatching(/no token - help: open the link/) });
    expect(parseJoinFragment('#token=t&tls-fingerprint=abc')).toEqual({
      error: expect.stringMatching(/tls-fingerprint in the join link must be 64 hex digits/),
    });
  });
});

describe('threadsFor', () => {
  it('takes ?threads=N, else the hardware concurrency (at least 1, at most the cap)', () => {
    expect(threadsFor('?threads=3', 8)).toBe(3);
    expect(threadsFor('', 6)).toBe(6);
    expect(threadsFor('', undefined)).toBe(1);
    expect(threadsFor('', 0)).toBe(1);
    expect(threadsFor('', 1000)).toBe(MAX_TAB_THREADS);
  });

  it('refuses a thread count that is not an integer in range, naming the query', () => {
    for (const q of [
      '?threads=0',
      '?threads=-1',
      '?threads=2.5',
      '?threads=x',
      `?threads=${MAX_TAB_THREADS + 1}`,
      '?threads=',
    ])
      expect(threadsFor(q, 4)).toEqual({ error: expect.stringMatching(/^\?threads must be an integer from 1 to 64/) });
  });
});
