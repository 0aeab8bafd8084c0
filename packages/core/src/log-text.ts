/**
 * Text from the network made safe for a log line (issue 17 item 7: a worker label could forge
 * log lines). Every string a peer chose (labels, backends, reasons, error codes and messages,
 * close reasons) goes through `peerText` before it is logged, so it can never end a line, move
 * the cursor, recolour the terminal or reorder what is shown: C0 and C1 control characters,
 * DEL, the Unicode line and paragraph separators, bidirectional controls, the byte-order mark
 * and lone surrogates are written as `\n`, `\t`, `\xNN` or `\uNNNN`, and a backslash as `\\`,
 * so the escaped text is unambiguous. Anything else (letters of any script, emoji) is kept.
 */

/** Longest peer text kept in one log line, in UTF-16 units [256]; the rest is cut with "…". */
export const MAX_PEER_TEXT_CHARS = 256;

// Built from code points, since a regex literal with control characters is easy to misread.
const hex = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;
const range = (from: number, to: number): string => `${hex(from)}-${hex(to)}`;
const UNSAFE_CLASS = [
  '\\\\',
  range(0x00, 0x1f),
  range(0x7f, 0x9f),
  hex(0x061c),
  hex(0x200e),
  hex(0x200f),
  hex(0x2028),
  hex(0x2029),
  range(0x202a, 0x202e),
  range(0x2066, 0x2069),
  hex(0xfeff),
].join('');
const UNSAFE = new RegExp(
  `[${UNSAFE_CLASS}]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`,
  'g',
);

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Escapes a string a peer sent for a log line.
 * @param value the peer's text (anything else is turned into a string first)
 * @param maxChars [MAX_PEER_TEXT_CHARS] longest result before "…"
 * @returns one line of printable text
 */
export function peerText(value: unknown, maxChars = MAX_PEER_TEXT_CHARS): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return cut.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
