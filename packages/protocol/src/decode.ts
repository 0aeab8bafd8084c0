/**
 * Bytes → validated message, the one entry point for untrusted input. In order, each check
 * before any work the next one costs (STYLE §2.5):
 *   1. size: more than `limits.maxPayloadBytes` is TOO_BIG, before a byte is read;
 *   2. `scanMessage`: one msgpack map in the wire's subset (no extensions, str keys, nesting
 *      ≤ 8), every declared length checked against the bytes left, else MALFORMED;
 *   3. msgpackr decodes (any error it still raises is MALFORMED, with it as `cause`);
 *   4. `validateMessage`: types, lengths, shapes, finiteness.
 * Bad bytes only ever raise ProtocolError, and the work is linear in the input size.
 */
import { unpackr } from './codec.js';
import { MAC_BYTES } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { bytes as bytesField, integer } from './fields.js';
import { assertLimits, type ProtocolLimits } from './limits.js';
import type { Message } from './messages.js';
import { scanMessage } from './msgpack-scan.js';
import { validateMessage, type ValidationContext } from './validate.js';

/**
 * Decodes and validates one message.
 * @param bytes one WebSocket message (a Buffer is fine; it is never modified)
 * @param limits the connection's limits; maxPayloadBytes is checked before decoding
 * @param expect [{}] what the receiver knows: parameterCount, allowed message types
 * @returns a fresh, typed message; binary fields are plain Uint8Arrays that own their memory
 * @throws ProtocolError GS_ERR_PROTOCOL_TOO_BIG, _MALFORMED, or any code of validateMessage
 * @throws TypeError if `bytes` is not a Uint8Array or `limits` is not well formed (a caller bug)
 */
export function decodeMessage(bytes: Uint8Array, limits: ProtocolLimits, expect: ValidationContext = {}): Message {
  return validateMessage(unpackChecked(bytes, limits), limits, expect);
}

/** A decoded message with the envelope of a sealed one (`seal.ts`), when present. */
export interface DecodedFrame {
  readonly message: Message;
  /** `n`: the sender's sequence number, if the frame carries one. */
  readonly seq?: number;
  /** `sig`: the frame's MAC, if it carries one. */
  readonly sig?: Uint8Array;
}

/**
 * decodeMessage, keeping the envelope fields `n` and `sig` of a sealed message (checked for
 * type and length here; the MAC itself is checked by `openSealed`).
 * @throws ProtocolError as decodeMessage; INVALID for an `n` or `sig` of the wrong type or length
 */
export function decodeFrame(bytes: Uint8Array, limits: ProtocolLimits, expect: ValidationContext = {}): DecodedFrame {
  const value = unpackChecked(bytes, limits);
  const message = validateMessage(value, limits, expect);
  const o = value as Record<string, unknown>;
  const rawSeq = Object.hasOwn(o, 'n') ? o.n : undefined;
  const rawSig = Object.hasOwn(o, 'sig') ? o.sig : undefined;
  const seq = rawSeq === undefined ? undefined : integer(rawSeq, `${message.t}.n`, 1);
  const sig = rawSig === undefined ? undefined : bytesField(rawSig, `${message.t}.sig`, { length: MAC_BYTES });
  return { message, ...(seq === undefined ? {} : { seq }), ...(sig === undefined ? {} : { sig }) };
}

/** Steps 1–3: size, subset scan, msgpackr; the value is not validated yet. */
function unpackChecked(bytes: Uint8Array, limits: ProtocolLimits): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  assertLimits(limits);
  if (bytes.byteLength > limits.maxPayloadBytes) {
    throw new ProtocolError(
      ProtocolErrorCode.TOO_BIG,
      `message of ${bytes.byteLength} bytes is larger than the limit of ${limits.maxPayloadBytes} bytes (maxPayloadBytes)`,
    );
  }
  scanMessage(bytes);
  let value: unknown;
  try {
    // A plain view, so msgpackr caches its DataView on our wrapper, not on the caller's Buffer.
    value = unpackr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED, describeMsgpackError(err, bytes.byteLength), { cause: err });
  }
  return value;
}

/** msgpackr's error in one line; it flags a truncated input with `incomplete`. */
function describeMsgpackError(err: unknown, length: number): string {
  const detail = err instanceof Error ? err.message.slice(0, 80) : String(err);
  const incomplete = typeof err === 'object' && err !== null && (err as { incomplete?: unknown }).incomplete === true;
  return incomplete
    ? `message of ${length} bytes is truncated: msgpack ended early (${detail})`
    : `message of ${length} bytes is not valid msgpack (${detail})`;
}
