/**
 * A linear, allocation-free pass over untrusted bytes before msgpackr sees them. It accepts only
 * the msgpack subset the wire uses, a single map whose values are nil, booleans, integers,
 * floats, str, bin, arrays and maps with str keys, nested at most MAX_NESTING deep, and it
 * checks every declared length against the bytes that are left before anything is allocated
 * (STYLE §2.5, the way ws's `haveLength()` does).
 *
 * Why not hand the bytes to msgpackr directly: msgpackr also decodes its own extensions (records,
 * bundled strings, structured-clone references, Error, RegExp, Set, typed arrays), and some of
 * them let a few bytes do a lot of work. Bundled strings (ext 0x62) re-read a string placed
 * anywhere in the input, so N small extensions pointing at one long string decode it N times:
 * 1 MB of input took 0.8 s on this machine, and the cost grows with the square of the size.
 * Refusing every extension here keeps decoding linear in the input and the msgpackr settings
 * free of global state.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** Deepest container nesting accepted: our messages nest 3 deep (welcome.spec.layers). */
export const MAX_NESTING = 8;

/**
 * Checks that `b` is exactly one msgpack map in the wire's subset.
 * @throws ProtocolError GS_ERR_PROTOCOL_MALFORMED saying what is wrong and at which byte
 */
export function scanMessage(b: Uint8Array): void {
  const n = b.length;
  // Items still expected in each open container (a map of k entries expects 2k items).
  const remaining = new Array<number>(MAX_NESTING + 1);
  const isMap = new Array<boolean>(MAX_NESTING + 1);
  let depth = 0;
  let pos = 0;
  const fail = (what: string): never => {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED, `message of ${n} bytes is not valid msgpack: ${what}`);
  };
  const truncated = (): never => fail(`truncated at byte ${n} (msgpack ended early)`);
  const need = (k: number): void => {
    if (n - pos < k) truncated();
  };
  const be = (k: number): number => {
    need(k);
    let v = 0;
    for (let i = 0; i < k; i++) v = v * 256 + b[pos + i];
    pos += k;
    return v;
  };

  if (n === 0) fail('empty');
  if (!((b[0] >= 0x80 && b[0] <= 0x8f) || b[0] === 0xde || b[0] === 0xdf)) {
    fail(`a message must be a msgpack map, but its first byte is 0x${b[0].toString(16).padStart(2, '0')}`);
  }
  do {
    if (pos >= n) truncated();
    const at = pos;
    const token = b[pos++];
    const isKey = depth > 0 && isMap[depth - 1] && remaining[depth - 1] % 2 === 0;
    if (depth > 0) remaining[depth - 1]--;
    let items = -1; // ≥ 0 when the token opens a container of that many items
    let map = false;
    let str = false;
    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) {
      // fixint, negative fixint, nil, false, true: the token is the whole value
    } else if (token >= 0xa0 && token <= 0xbf) {
      str = true;
      need(token & 0x1f);
      pos += token & 0x1f;
    } else if (token >= 0x90 && token <= 0x9f) {
      items = token & 0x0f;
    } else if (token >= 0x80 && token <= 0x8f) {
      items = 2 * (token & 0x0f);
      map = true;
    } else {
      switch (token) {
        case 0xd9:
        case 0xda:
        case 0xdb: {
          // str 8/16/32
          str = true;
          const len = be(1 << (token - 0xd9));
          need(len);
          pos += len;
          break;
        }
        case 0xc4:
        case 0xc5:
        case 0xc6: {
          // bin 8/16/32
          const len = be(1 << (token - 0xc4));
          need(len);
          pos += len;
          break;
        }
        case 0xcc:
        case 0xd0:
          need(1);
          pos += 1;
          break; // uint8, int8
        case 0xcd:
        case 0xd1:
          need(2);
          pos += 2;
          break; // uint16, int16
        case 0xce:
        case 0xd2:
        case 0xca:
          need(4);
          pos += 4;
          break; // uint32, int32, float32
        case 0xcf:
        case 0xd3:
        case 0xcb:
          need(8);
          pos += 8;
          break; // uint64, int64, float64
        case 0xdc:
        case 0xdd:
          items = be(token === 0xdc ? 2 : 4);
          break; // array 16/32
        case 0xde:
        case 0xdf:
          items = 2 * be(token === 0xde ? 2 : 4);
          map = true;
          break; // map 16/32
        default: // 0xc1 (never used) and every extension (0xc7–0xc9, 0xd4–0xd8)
          fail(`byte ${at}: msgpack type 0x${token.toString(16)} is not allowed on the wire (no extensions)`);
      }
    }
    if (isKey && !str) fail(`byte ${at}: map keys must be strings`);
    if (items > 0) {
      // Every item takes at least one byte: a count the rest cannot hold is a truncation.
      if (items > n - pos) truncated();
      if (depth === MAX_NESTING) fail(`byte ${at}: nested deeper than ${MAX_NESTING} levels`);
      remaining[depth] = items;
      isMap[depth] = map;
      depth++;
    } else if (depth === 0 && items === 0) {
      break; // an empty top-level map
    }
    while (depth > 0 && remaining[depth - 1] === 0) depth--;
  } while (depth > 0);
  if (pos !== n) fail(`${n - pos} bytes after the end of the message`);
}
