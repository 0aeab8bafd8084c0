/**
 * Checkers for single fields of an untrusted decoded value. Each takes the value and its path
 * (`step.shards[2].count`, named in the error), returns it typed, or throws ProtocolError
 * GS_ERR_PROTOCOL_INVALID saying what the field must be and what it was. Internal to
 * `validate.ts`.
 */
import { FINGERPRINT_PATTERN } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** A decoded msgpack map: a plain object with string keys. */
export type Fields = Readonly<Record<string, unknown>>;

/** Bounds of a byte-string field. */
export interface BytesBounds {
  /** Exact byte length. */
  readonly length?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** The length must be a multiple of 4 (float32 payloads). */
  readonly float32?: boolean;
}

/** The field `key` of `o` if `o` has it as an own property; never anything from a prototype. */
export function own(o: Fields, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Whether `value` is a plain object, as msgpackr decodes a map. */
export function isPlainMap(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The ProtocolError for a field that is not what it must be. */
export function invalid(path: string, constraint: string, value: unknown): ProtocolError {
  const message =
    value === undefined
      ? `${path} is missing (must be ${constraint})`
      : `${path} must be ${constraint}, got ${describe(value)}`;
  return new ProtocolError(ProtocolErrorCode.INVALID, message);
}

/** An integer in [min, max] (both safe integers); a safe integer by default non-negative. */
export function integer(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(path, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** A finite number ≥ min (NaN and ±Infinity are INVALID here; gradients and losses use NON_FINITE). */
export function finiteNumber(value: unknown, path: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(path, min === -Infinity ? 'a finite number' : `a finite number ≥ ${min}`, value);
  }
  return value;
}

/** A data-set fingerprint: 64 lowercase hex characters (hex SHA-256). */
export function fingerprint(value: unknown, path: string): string {
  if (typeof value !== 'string' || !FINGERPRINT_PATTERN.test(value)) {
    throw invalid(path, '64 lowercase hex characters (a SHA-256)', value);
  }
  return value;
}

/** true or false. */
export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalid(path, 'a boolean', value);
  return value;
}

/** A string of minLength … maxLength UTF-16 units. */
export function string(value: unknown, path: string, maxLength: number, minLength = 0): string {
  if (typeof value !== 'string' || value.length < minLength || value.length > maxLength) {
    throw invalid(path, `a string of ${minLength}–${maxLength} characters`, value);
  }
  return value;
}

/** One of the given strings. */
export function oneOf<T extends string>(value: unknown, path: string, values: readonly T[]): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw invalid(path, `one of ${values.map((v) => `'${v}'`).join(', ')}`, value);
  }
  return value as T;
}

/** A msgpack bin within bounds, returned as a plain Uint8Array (never a Buffer subclass). */
export function bytes(value: unknown, path: string, bounds: BytesBounds): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(path, 'bytes (msgpack bin)', value);
  const n = value.byteLength;
  const { length, minLength = 0, maxLength = Number.MAX_SAFE_INTEGER, float32 = false } = bounds;
  if (length !== undefined && n !== length) throw invalid(path, `exactly ${length} bytes`, value);
  if (n < minLength || n > maxLength) throw invalid(path, `${minLength}–${maxLength} bytes`, value);
  if (float32 && n % 4 !== 0) throw invalid(path, 'float32 values (a multiple of 4 bytes)', value);
  return Object.getPrototypeOf(value) === Uint8Array.prototype
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** An array of minLength … maxLength elements (not yet checked). */
export function array(value: unknown, path: string, minLength: number, maxLength: number): readonly unknown[] {
  if (!Array.isArray(value) || value.length < minLength || value.length > maxLength) {
    throw invalid(path, `an array of ${minLength}–${maxLength} elements`, value);
  }
  return value;
}

/** A nested map. */
export function map(value: unknown, path: string): Fields {
  if (!isPlainMap(value)) throw invalid(path, 'a map', value);
  return value;
}

/** A short, safe description of an untrusted value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40
        ? `${JSON.stringify(`${value.slice(0, 40)}…`)} (${value.length} characters)`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return isPlainMap(value) ? 'a map' : `a ${value.constructor?.name ?? 'value'}`;
    default:
      return typeof value;
  }
}
