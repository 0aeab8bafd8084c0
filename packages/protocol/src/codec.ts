/**
 * The one place msgpackr is configured (STYLE §2.5). Both instances are module-level and used
 * only by `encode.ts` and `decode.ts`; nothing else may construct a Packr or Unpackr.
 */
import { Packr, Unpackr, type Options } from 'msgpackr';

/**
 * The msgpackr settings of the wire, shared by packing and unpacking:
 * - `useRecords: false`: every message is a plain msgpack map (no msgpackr record extension);
 *   maps decode to plain objects (`mapsAsObjects`, implied).
 * - `moreTypes: false`: every typed array packs as msgpack bin (with `true`, a Uint8Array that
 *   is not a Buffer would become msgpackr's typed-array extension).
 * - `structuredClone: false`: no reference/cycle extensions; an incoming one is refused.
 * - `bundleStrings: false`: strings are plain msgpack str.
 * - `variableMapSize: true`: fixmap for small maps, so messages are a little smaller.
 * - `useFloat32: 0`: non-integers pack as float64, so loss sums round-trip exactly.
 * - `int64AsType: 'number'`: a 64-bit integer decodes as a number, never a bigint; validation
 *   then refuses anything that is not a safe integer.
 * - `copyBuffers: true`: a decoded bin is a fresh copy at byte offset 0, so it never aliases the
 *   caller's frame and a Float32Array view on it is always aligned.
 */
export const MSGPACK_OPTIONS: Readonly<Options> = Object.freeze({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  variableMapSize: true,
  useFloat32: 0,
  int64AsType: 'number',
  copyBuffers: true,
} satisfies Options);

/** Packs messages; see MSGPACK_OPTIONS. */
export const packr = new Packr({ ...MSGPACK_OPTIONS });

/** Unpacks messages; see MSGPACK_OPTIONS. */
export const unpackr = new Unpackr({ ...MSGPACK_OPTIONS });
