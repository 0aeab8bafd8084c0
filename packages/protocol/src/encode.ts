/**
 * Message → bytes. Encoding trusts its input (our own messages, typed by `messages.ts`); every
 * check happens on the receiving side, in `decode.ts` and `validate.ts`.
 */
import { packr } from './codec.js';
import type { Message } from './messages.js';

/**
 * Encodes one message as a msgpack map. Binary fields (Uint8Array) become msgpack bin; a
 * top-level field that is `undefined` (e.g. a step without `weights`) is left out.
 * @param msg the message
 * @returns the bytes, a plain Uint8Array (not a Buffer) ready for `ws.send`
 */
export function encodeMessage(msg: Message): Uint8Array {
  const packed = packr.pack(withoutUndefined(msg));
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** The message itself if no field is undefined, else a shallow copy without those fields. */
function withoutUndefined(msg: Message): object {
  const entries = Object.entries(msg);
  if (entries.every(([, v]) => v !== undefined)) return msg;
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}
