import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ReadAccess } from '../src/read-access.js';

const request = (authorization?: string): IncomingMessage =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

/** A ServerResponse that keeps what was written. */
function reply(): ServerResponse & { status: number; headers: Record<string, string>; body: string } {
  const r = {
    status: 0,
    headers: {} as Record<string, string>,
    body: '',
    writeHead(status: number, headers: Record<string, string>) {
      r.status = status;
      r.headers = headers;
      return r;
    },
    end(text: string) {
      r.body = text;
      return r;
    },
  };
  return r as unknown as ServerResponse & typeof r;
}

describe('ReadAccess', () => {
  describe('#ctor', () => {
    it('refuses no token or an empty one', () => {
      expect(() => new ReadAccess([])).toThrow(RangeError);
      expect(() => new ReadAccess(['run', ''])).toThrow(/non-empty/);
    });
  });

  it('allows a Bearer header with any of its tokens, and nothing else', () => {
    const access = new ReadAccess(['run-token', 'dashboard-token']);
    expect(access.allows(request('Bearer run-token'))).toBe(true);
    expect(access.allows(request('bearer dashboard-token'))).toBe(true);
    expect(access.allows(request('Bearer run-token-x'))).toBe(false);
    expect(access.allows(request('Basic run-token'))).toBe(false);
    expect(access.allows(request('run-token'))).toBe(false);
    expect(access.allows(request())).toBe(false);
  });

  it('answers 401 with WWW-Authenticate without a token and 403 for a wrong one', () => {
    const access = new ReadAccess(['run-token']);
    const none = reply();
    expect(access.check(request(), none)).toBe(false);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(none.body).error).toMatch(/a token is needed/);
    const wrong = reply();
    expect(access.check(request('Bearer nope'), wrong)).toBe(false);
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.body).error).toMatch(/the token is wrong/);
    const right = reply();
    expect(access.check(request('Bearer run-token'), right)).toBe(true);
    expect(right.status).toBe(0);
  });
});
