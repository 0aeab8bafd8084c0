/**
 * Signed messages: every message after `auth`, both ways, is a msgpack map whose last two
 * fields are `n` (the sender's sequence number in that direction: 1, 2, …) and `sig` (32 bytes):
 *   sig = HMAC-SHA256(session key of that direction, every byte of the frame before sig's value)
 * The MAC is computed over the bytes as sent, so nothing is re-encoded to check it, and `sig`
 * being last makes its value the frame's final 32 bytes. The sequence number stops a replayed,
 * dropped or reordered message; the direction's own key stops a reflected one.
 */
import { verifyMac } from './auth.js';
import { MAC_BYTES } from './constants.js';
import type { DecodedFrame } from './decode.js';
import { encodeMessage } from './encode.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { Message } from './messages.js';
import { macOf, type SessionKey } from './session-key.js';

/** msgpack of the key "sig" and a bin8 header of 32 bytes: what precedes the MAC in a sealed frame. */
const SIG_HEADER = Uint8Array.of(0xa3, 0x73, 0x69, 0x67, 0xc4, MAC_BYTES);

/**
 * Encodes `message` with `n = seq` and its MAC.
 * @param key the session key of the sending direction
 * @param seq the sender's next sequence number (≥ 1)
 */
export async function sealMessage(message: Message, key: SessionKey, seq: number): Promise<Uint8Array> {
  // The spread keeps the message's field order; `n` and `sig` come last, `sig` very last.
  const bytes = encodeMessage({ ...message, n: seq, sig: new Uint8Array(MAC_BYTES) } as unknown as Message);
  const body = bytes.subarray(0, bytes.byteLength - MAC_BYTES);
  bytes.set(await macOf(key, [body]), body.byteLength);
  return bytes;
}

/**
 * Checks a sealed frame: its `n` is the one expected and its `sig` is the MAC of the bytes before
 * it under `key`.
 * @param frame the frame's bytes, as received
 * @param decoded what decodeFrame made of them
 * @throws ProtocolError GS_ERR_AUTH if the frame is not sealed, out of sequence, or its MAC fails
 */
export async function openSealed(
  frame: Uint8Array,
  decoded: DecodedFrame,
  key: SessionKey,
  expectedSeq: number,
): Promise<void> {
  const { message, seq, sig } = decoded;
  if (seq === undefined || sig === undefined) {
    throw new ProtocolError(ProtocolErrorCode.AUTH, `'${message.t}' message without a signature after authentication`);
  }
  if (seq !== expectedSeq) {
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      `'${message.t}' message out of sequence: number ${seq}, expected ${expectedSeq}`,
    );
  }
  const end = frame.byteLength - MAC_BYTES;
  const header = frame.subarray(end - SIG_HEADER.byteLength, end);
  if (end < SIG_HEADER.byteLength || !verifyMac(SIG_HEADER, header) || !verifyMac(sig, frame.subarray(end))) {
    throw new ProtocolError(ProtocolErrorCode.AUTH, `'${message.t}' message whose signature is not its last field`);
  }
  if (!verifyMac(await macOf(key, [frame.subarray(0, end)]), sig)) {
    throw new ProtocolError(
      ProtocolErrorCode.AUTH,
      `'${message.t}' message whose signature does not verify (tampered with, or not from the authenticated peer)`,
    );
  }
}
