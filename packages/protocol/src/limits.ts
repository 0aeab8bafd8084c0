/**
 * Size limits of the wire. `maxPayloadBytes` is what both sides pass to ws as `maxPayload`, and
 * `decodeMessage` refuses anything larger before it parses a byte (STYLE §2.5). It is sized to
 * the largest legitimate message of a run (`limitsForModel`): a result carrying one float32
 * gradient per shard, a step carrying the weights, or a data chunk, plus a 64 KiB margin.
 *
 * Every limit is a positive safe integer; 0 and Infinity are refused, because an unlimited
 * wire is never what a coordinator facing the network wants.
 */
import { MAX_PARAMETER_COUNT, MAX_SPEC_LAYERS } from './constants.js';

/** The limits every decoded message is checked against. */
export interface ProtocolLimits {
  /** Largest message in bytes (ws `maxPayload`) [100 MiB, ws's default]. */
  readonly maxPayloadBytes: number;
  /** Most shards in one step, and so most gradients in one result [1024]. */
  readonly maxShardsPerStep: number;
  /** Longest string field (label, backend, names, reasons, error text), in UTF-16 units [1024]. */
  readonly maxLabelLength: number;
  /** Largest `data-chunk.bytes` (and `data-request.length`, `welcome.chunkBytes`) [1 MiB]. */
  readonly maxChunkBytes: number;
}

/** Limits for a connection whose model is not known yet (a worker before `welcome`). */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = Object.freeze({
  maxPayloadBytes: 100 * 1024 * 1024,
  maxShardsPerStep: 1024,
  maxLabelLength: 1024,
  maxChunkBytes: 1024 * 1024,
});

/** Slack on top of the largest legitimate message: map keys, small fields, array headers. */
export const PAYLOAD_MARGIN_BYTES = 64 * 1024;

/** Upper bound of one shard's bytes in a step: fixmap, two keys, two uint64s (1+7+9+6+9). */
const SHARD_WIRE_BYTES = 32;
/** Upper bound of one result entry besides the gradient: bin32 header, float64, uint64. */
const RESULT_ENTRY_WIRE_BYTES = 5 + 9 + 9;
/** Header of a bin32 field. */
const BIN32_HEADER_BYTES = 5;

const LIMIT_KEYS = ['maxPayloadBytes', 'maxShardsPerStep', 'maxLabelLength', 'maxChunkBytes'] as const;

/**
 * Checks given limits and fills the rest from DEFAULT_PROTOCOL_LIMITS.
 * @param options limits to override, each a positive safe integer
 * @returns frozen, complete limits
 * @throws TypeError if a limit is not a number; RangeError if it is not a positive safe integer
 */
export function resolveProtocolLimits(options: Partial<ProtocolLimits> = {}): ProtocolLimits {
  for (const key of LIMIT_KEYS) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw new TypeError(`options.${key} must be a number, got ${typeof value}`);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`options.${key} must be a positive safe integer, got ${value}`);
    }
  }
  return Object.freeze({ ...DEFAULT_PROTOCOL_LIMITS, ...definedOnly(options) });
}

/**
 * Limits sized to one model: maxPayloadBytes fits the largest message of the run, the
 * other limits are the defaults.
 * @param parameterCount P, the model's parameter count (weights and each gradient are 4·P bytes)
 * @param maxShards most shards a step may carry (reproducible mode: the virtual shard count)
 * @throws RangeError if parameterCount is not in [1, MAX_PARAMETER_COUNT] or maxShards is not
 *   a positive safe integer
 */
export function limitsForModel(parameterCount: number, maxShards: number): ProtocolLimits {
  if (!Number.isSafeInteger(parameterCount) || parameterCount < 1 || parameterCount > MAX_PARAMETER_COUNT) {
    throw new RangeError(`parameterCount must be an integer in [1, ${MAX_PARAMETER_COUNT}], got ${parameterCount}`);
  }
  if (!Number.isSafeInteger(maxShards) || maxShards < 1) {
    throw new RangeError(`maxShards must be a positive safe integer, got ${maxShards}`);
  }
  const floatBytes = 4 * parameterCount;
  const resultBytes = maxShards * (floatBytes + RESULT_ENTRY_WIRE_BYTES);
  const stepBytes = BIN32_HEADER_BYTES + floatBytes + maxShards * SHARD_WIRE_BYTES;
  const chunkBytes = BIN32_HEADER_BYTES + DEFAULT_PROTOCOL_LIMITS.maxChunkBytes;
  const maxPayloadBytes = Math.max(resultBytes, stepBytes, chunkBytes) + PAYLOAD_MARGIN_BYTES;
  if (!Number.isSafeInteger(maxPayloadBytes)) {
    throw new RangeError(`parameterCount ${parameterCount} × maxShards ${maxShards} gives an impossible payload size`);
  }
  return resolveProtocolLimits({ maxPayloadBytes, maxShardsPerStep: maxShards });
}

/** Room for a handshake message's small fields: type, integers, nonces, MACs, map headers. */
const HANDSHAKE_FIXED_BYTES = 4096;
/** Most UTF-8 bytes per UTF-16 unit (a BMP character above U+07FF), plus a str32 header. */
const UTF8_BYTES_PER_UNIT = 3;
const STR_HEADER_BYTES = 5;
/** Upper bound of one layer size on the wire (a uint32). */
const LAYER_WIRE_BYTES = 5;

/**
 * The frame limit before the peer is authenticated (issue 17 item 1): room for the largest
 * handshake message and nothing more, so a stranger can never make either side buffer or
 * parse a model-sized frame. The largest are a `hello` or `error` (two strings of
 * maxLabelLength) and a `welcome` (MAX_SPEC_LAYERS layer sizes and the data set's name);
 * about 10 KiB with the default limits.
 * @param limits the connection's full limits (maxLabelLength is read from them)
 * @returns the same limits with maxPayloadBytes lowered to the handshake's bound
 */
export function handshakeLimits(limits: ProtocolLimits): ProtocolLimits {
  const strings = 2 * (UTF8_BYTES_PER_UNIT * limits.maxLabelLength + STR_HEADER_BYTES);
  const bound = strings + MAX_SPEC_LAYERS * LAYER_WIRE_BYTES + HANDSHAKE_FIXED_BYTES;
  return Object.freeze({ ...limits, maxPayloadBytes: Math.min(limits.maxPayloadBytes, bound) });
}

/**
 * Cheap shape check of limits handed to the decoder, so `{}` can never mean "no limit".
 * @throws TypeError if a limit is missing or not a positive number
 */
export function assertLimits(limits: ProtocolLimits): void {
  for (const key of LIMIT_KEYS) {
    const value = limits?.[key];
    if (typeof value !== 'number' || !(value >= 1)) {
      throw new TypeError(`limits.${key} must be a positive number (use resolveProtocolLimits), got ${String(value)}`);
    }
  }
}

function definedOnly(options: Partial<ProtocolLimits>): Partial<ProtocolLimits> {
  const out: Record<string, number> = {};
  for (const key of LIMIT_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out;
}
