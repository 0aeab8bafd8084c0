/**
 * The one place a WebSocket close reason is made: RFC 6455 lets a close frame carry at most 123
 * bytes of UTF-8, and ws throws a RangeError for more, so every reason is cut by bytes here,
 * never by characters (a 120-character cut of a non-ASCII text is ~200 bytes).
 */
import { CLOSE_REASON_MAX_BYTES } from './constants.js';

const utf8 = new TextEncoder();

/**
 * `text` cut so that its UTF-8 encoding fits `maxBytes`, never inside a character; a cut text
 * ends with '…'.
 * @param maxBytes [123] the byte budget
 */
export function truncateUtf8(text: string, maxBytes: number = CLOSE_REASON_MAX_BYTES): string {
  if (utf8.encode(text).byteLength <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = utf8.encode(ch).byteLength;
    if (bytes + n > maxBytes - 3) break; // room for the ellipsis (3 bytes)
    bytes += n;
    end += ch.length;
  }
  return `${text.slice(0, end)}…`;
}

/** A close reason that any WebSocket implementation accepts: `truncateUtf8(text, 123)`. */
export function closeReason(text: string): string {
  return truncateUtf8(text, CLOSE_REASON_MAX_BYTES);
}

/**
 * A close code ws accepts from an application (1000, 1001, 1002, 1003, 1007–1014, 3000–4999);
 * anything else becomes 1011 (internal error), so closing can never throw.
 */
export function closeCode(code: number): number {
  const ok =
    code === 1000 ||
    code === 1001 ||
    code === 1002 ||
    code === 1003 ||
    (code >= 1007 && code <= 1014 && code !== 1010) ||
    (code >= 3000 && code <= 4999);
  return Number.isInteger(code) && ok ? code : 1011;
}
