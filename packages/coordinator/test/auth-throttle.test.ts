import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../src/auth-throttle.js';
import { listen } from '../src/coordinator-listener.js';

describe('AuthThrottle (issue 17 item 5)', () => {
  it('delays each failed authentication from one address twice as long, up to the maximum, logging each', () => {
    const lines: string[] = [];
    const t = new AuthThrottle(
      { baseDelayMs: 100, maxDelayMs: 500, banAfter: 10 },
      (l) => void lines.push(l),
      () => 0,
    );
    expect([1, 2, 3, 4, 5].map(() => t.failed('10.0.0.1'))).toEqual([100, 200, 400, 500, 500]);
    expect(t.failed('10.0.0.2')).toBe(100);
    expect(lines[0]).toBe('failed authentication 1 from 10.0.0.1: answered after 100 ms');
    expect(t.refusal('10.0.0.1')).toBeNull();
  });

  it('bans an address after banAfter failures in a row for banMs, logged once, then lets it start over', () => {
    const lines: string[] = [];
    let now = 1000;
    const t = new AuthThrottle(
      { baseDelayMs: 1, banAfter: 3, banMs: 60_000 },
      (l) => void lines.push(l),
      () => now,
    );
    for (let i = 0; i < 4; i++) t.failed('10.0.0.1');
    expect(lines.filter((l) => l.startsWith('banned'))).toEqual([
      'banned 10.0.0.1 for 60 s after 3 failed authentications in a row',
    ]);
    expect(t.refusal('10.0.0.1')).toMatch(
      /^10\.0\.0\.1 is banned for 60 s more after 4 failed authentications - help: /,
    );
    expect(t.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(t.refusal('10.0.0.2')).toBeNull();
    now += 60_000;
    expect(t.refusal('10.0.0.1')).toBeNull();
    expect(t.failed('10.0.0.1')).toBe(1);
  });

  it('forgets failures after a quiet forgetMs', () => {
    let now = 0;
    const t = new AuthThrottle({ baseDelayMs: 10, forgetMs: 1000 }, undefined, () => now);
    t.failed('a');
    t.failed('a');
    now = 1000;
    expect(t.failed('a')).toBe(10);
  });

  it('refuses options that are not positive integers', () => {
    expect(() => new AuthThrottle({ banAfter: 0 })).toThrow(RangeError);
  });

  it("makes the listener answer a banned address's upgrade with HTTP 429, GS_ERR_AUTH_BANNED and Retry-After", async () => {
    const listener = await listen({
      host: '127.0.0.1',
      port: 0,
      openFileLimit: null,
      authThrottle: { baseDelayMs: 1, banAfter: 2, banMs: 30_000 },
    });
    listener.routes.upgrade('/', { maxPayloadBytes: 1000 }, (ws) => ws.close());
    try {
      listener.authThrottle.failed('127.0.0.1');
      listener.authThrottle.failed('127.0.0.1');
      const reply = await new Promise<{ status: number; retryAfter: string; body: string }>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: listener.port,
          path: '/',
          headers: {
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => {
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (c: string) => (body += c))
            .on('end', () =>
              resolve({ status: res.statusCode ?? 0, retryAfter: String(res.headers['retry-after']), body }),
            );
        });
        req.on('upgrade', () => reject(new Error('upgraded although banned')));
        req.on('error', reject);
        req.end();
      });
      expect(reply.status).toBe(429);
      expect(reply.retryAfter).toBe('30');
      expect(JSON.parse(reply.body)).toMatchObject({
        code: 'GS_ERR_AUTH_BANNED',
        error: expect.stringMatching(/^127\.0\.0\.1 is banned for 30 s more/),
      });
    } finally {
      await listener.close();
    }
  });
});
