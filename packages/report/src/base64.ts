/**
 * Base64 without Buffer, so the report renders in a browser too. The encoding is RFC 4648's
 * standard alphabet with padding, byte for byte what Buffer's `toString('base64')` gives. The
 * decoder is as lenient as `Buffer.from(text, 'base64')` on what a metrics file can hold: it
 * accepts the URL-safe alphabet too, skips characters outside both alphabets (whitespace, line
 * breaks) and stops at the first `=`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Character code → 6-bit value, -1 for characters the decoder skips. */
const VALUE = ((): Int8Array => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[ALPHABET.charCodeAt(i)] = i;
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

/** The standard base64 of `bytes`, padded with `=`. */
export function bytesToBase64(bytes: Uint8Array): string {
  const out: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push(ALPHABET[n >> 18], ALPHABET[(n >> 12) & 63], ALPHABET[(n >> 6) & 63], ALPHABET[n & 63]);
  }
  if (i < bytes.length) {
    const two = i + 1 < bytes.length;
    const n = (bytes[i] << 16) | (two ? bytes[i + 1] << 8 : 0);
    out.push(ALPHABET[n >> 18], ALPHABET[(n >> 12) & 63], two ? ALPHABET[(n >> 6) & 63] : '=', '=');
  }
  return out.join('');
}

/** The bytes of base64 `text` (standard or URL-safe alphabet; other characters are skipped). */
export function base64ToBytes(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let bits = 0;
  let held = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) break; // '='
    const v = c < 128 ? VALUE[c] : -1;
    if (v < 0) continue;
    bits = (bits << 6) | v;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[length++] = (bits >> held) & 0xff;
    }
  }
  return out.slice(0, length);
}
