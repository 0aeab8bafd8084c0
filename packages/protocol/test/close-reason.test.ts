import { describe, expect, it } from 'vitest';
import { ProtocolError, ProtocolErrorCode } from '../src/errors.js';

/** The cut Buffer.byteLength gave before protocol stopped using Buffer (browser-safe entry). */
function bufferCut(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes - 3) break;
    bytes += n;
    end += ch.length;
  }
  return `${text.slice(0, end)}…`;
}

describe('ProtocolError#closeReason without Buffer', () => {
  it('cuts every mix of 1- to 4-byte characters and lone surrogates exactly where Buffer.byteLength did', () => {
    const pieces = ['a', 'é', '€', '😀', '\ud800', '\udc00x'];
    for (let length = 100; length < 140; length++) {
      for (let start = 0; start < pieces.length; start++) {
        let text = '';
        for (let i = start; text.length < length; i++) text += pieces[i % pieces.length];
        expect(new ProtocolError(ProtocolErrorCode.INVALID, text).closeReason).toBe(bufferCut(text, 123));
      }
    }
  });
});
