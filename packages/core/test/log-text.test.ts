import { describe, expect, it } from 'vitest';
import { MAX_PEER_TEXT_CHARS, peerText } from '../src/index.js';

describe('peerText (issue 17 item 7)', () => {
  it('keeps printable text of any script as it is', () => {
    expect(peerText('gpu-box 7 – Zürich 東京 🚀')).toBe('gpu-box 7 – Zürich 東京 🚀');
  });

  it('escapes line breaks, terminal escapes, bidi controls, separators and backslashes, so a label cannot forge a line', () => {
    expect(peerText('a\nworker 9 (x) joined; 5 ready')).toBe('a\\nworker 9 (x) joined; 5 ready');
    expect(peerText('\r\t\u001b[31mred\u0007')).toBe('\\r\\t\\x1b[31mred\\x07');
    expect(peerText('\u202eevil\u2028x\u0085y\\n')).toBe('\\u202eevil\\u2028x\\x85y\\\\n');
    expect(peerText('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(peerText('a\nb')).not.toMatch(/[\n\r]/);
  });

  it('cuts long text with an ellipsis', () => {
    expect(peerText('x'.repeat(1000))).toBe(`${'x'.repeat(MAX_PEER_TEXT_CHARS)}…`);
    expect(peerText('abcdef', 3)).toBe('abc…');
  });
});
