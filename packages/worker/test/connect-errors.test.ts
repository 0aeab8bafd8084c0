import { describe, expect, it } from 'vitest';
import { classifyConnectError, explainConnectFailure } from '../src/connect-errors.js';

const error = (message: string, code?: string): Error & { code?: string } =>
  Object.assign(new Error(message), { code });

describe('classifyConnectError', () => {
  it('refuses for good when wss:// meets plain text, naming the ws:// address', () => {
    const err = error(
      'write EPROTO 80AC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:\n',
      'EPROTO',
    );
    expect(classifyConnectError(err, 'wss://10.0.0.5:7733', false)).toEqual({
      kind: 'refused',
      message:
        'the coordinator at wss://10.0.0.5:7733 does not speak TLS (it answered in plain text) - help: connect with ws://10.0.0.5:7733',
    });
  });

  it('asks for a TLS probe when ws:// gets "socket hang up", and for a certificate probe when a given --tls-ca is not trusted', () => {
    expect(classifyConnectError(error('socket hang up', 'ECONNRESET'), 'ws://h:1', false)).toMatchObject({
      kind: 'dropped',
      probe: 'tls',
    });
    expect(
      classifyConnectError(error('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'wss://h:1', true),
    ).toMatchObject({ kind: 'refused', probe: 'certificate' });
    expect(
      classifyConnectError(error('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'wss://h:1', false),
    ).toEqual({
      kind: 'refused',
      message:
        "cannot trust the coordinator's TLS certificate (self-signed certificate) - help: pass it with --tls-ca FILE",
    });
  });

  it('retries a busy coordinator (503) and a refused connection, and stops on a path with no endpoint (404)', () => {
    expect(classifyConnectError(error('Unexpected server response: 503'), 'ws://h:1', false).kind).toBe('dropped');
    expect(
      classifyConnectError(error('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'ws://127.0.0.1:1', false),
    ).toEqual({ kind: 'dropped', message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(classifyConnectError(error('Unexpected server response: 404'), 'ws://h:1/x', false).kind).toBe('refused');
  });
});

describe('explainConnectFailure', () => {
  it('leaves a hang-up as it is when nothing speaks TLS on the port', async () => {
    // Port 1 on loopback: nothing listens, so the probe finds no TLS.
    const failure = await explainConnectFailure(
      { kind: 'dropped', message: 'socket hang up', probe: 'tls' },
      'ws://127.0.0.1:1',
      undefined,
    );
    expect(failure).toEqual({ kind: 'dropped', message: 'socket hang up' });
  });
});
