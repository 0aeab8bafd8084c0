import { GradswarmError } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS, ProtocolError, ProtocolErrorCode, protocolErrorFromClose } from '../src/index.js';

describe('PROTOCOL_ERRORS', () => {
  it('gives every code its close code: 1002 malformed, 1008 auth, 1009 too big, 4000–4007 ours', () => {
    const table = Object.fromEntries(Object.entries(PROTOCOL_ERRORS).map(([code, info]) => [code, info.closeCode]));
    expect(table).toEqual({
      GS_ERR_PROTOCOL_MALFORMED: 1002,
      GS_ERR_PROTOCOL_VERSION: 4001,
      GS_ERR_PROTOCOL_INVALID: 4002,
      GS_ERR_PROTOCOL_TOO_BIG: 1009,
      GS_ERR_AUTH: 1008,
      GS_ERR_PROTOCOL_NON_FINITE: 4003,
      GS_ERR_PROTOCOL_STALE: 4004,
      GS_ERR_PROTOCOL_UNEXPECTED: 4005,
      GS_ERR_BACKEND_MISMATCH: 1008,
      GS_ERR_WORLD_SIZE_MISMATCH: 1008,
      GS_ERR_STEP_TIMEOUT: 4006,
      GS_ERR_WORKER_LOST: 4007,
      GS_ERR_WORKER_REJECTED: 4000,
      GS_ERR_HANDSHAKE_TIMEOUT: 4008,
      GS_ERR_RESULT_DISAGREES: 4020,
      GS_ERR_PEER_NOT_READING: 4009,
    });
  });

  it('has a row for every ProtocolErrorCode and no other', () => {
    expect(Object.keys(PROTOCOL_ERRORS).sort()).toEqual(Object.values(ProtocolErrorCode).sort());
  });

  it('uses each close code once, so a close frame maps back to one code (a backend mismatch is a policy refusal, 1008, as auth)', () => {
    const closeCodes = Object.entries(PROTOCOL_ERRORS)
      .filter(([code]) => code !== 'GS_ERR_BACKEND_MISMATCH' && code !== 'GS_ERR_WORLD_SIZE_MISMATCH')
      .map(([, i]) => i.closeCode);
    expect(new Set(closeCodes).size).toBe(closeCodes.length);
    expect(protocolErrorFromClose(1008, '')?.code).toBe('GS_ERR_AUTH');
  });
});

describe('ProtocolError', () => {
  describe('#ctor', () => {
    it('is a GradswarmError carrying its code and close code', () => {
      const err = new ProtocolError(ProtocolErrorCode.STALE, 'late', { cause: 'x' });
      expect(err).toBeInstanceOf(GradswarmError);
      expect(err.name).toBe('ProtocolError');
      expect(err.code).toBe('GS_ERR_PROTOCOL_STALE');
      expect(err.closeCode).toBe(4004);
      expect(err.cause).toBe('x');
    });

    it('refuses a code that is not a protocol error code', () => {
      expect(() => new ProtocolError('GS_ERR_DATA_FORMAT' as never, 'x')).toThrow(TypeError);
    });
  });

  it('cuts its close reason to the 123 UTF-8 bytes a close frame holds, never inside a character', () => {
    const err = new ProtocolError(ProtocolErrorCode.INVALID, 'é'.repeat(100));
    expect(Buffer.byteLength(err.closeReason)).toBeLessThanOrEqual(123);
    expect(err.closeReason.endsWith('…')).toBe(true);
    expect(err.closeReason).toMatch(/^é+…$/);
    expect(new ProtocolError(ProtocolErrorCode.INVALID, 'short').closeReason).toBe('short');
  });
});

describe('protocolErrorFromClose', () => {
  it('turns a protocol close code back into its error, keeping the reason', () => {
    const err = protocolErrorFromClose(4001, 'protocol version mismatch');
    expect(err?.code).toBe('GS_ERR_PROTOCOL_VERSION');
    expect(err?.message).toBe('peer closed the connection (4001): protocol version mismatch');
  });

  it('returns undefined for a close code that is not a protocol error', () => {
    expect(protocolErrorFromClose(1000, '')).toBeUndefined();
    expect(protocolErrorFromClose(1006, '')).toBeUndefined();
  });
});
