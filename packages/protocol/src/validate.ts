/**
 * Untrusted decoded value → typed Message (STYLE §2.5). Checks, in order: the value is a map;
 * `t` is a known type; the type is allowed here (`ctx.allowed`); for `hello` the version, before
 * anything else, so a peer of another version always learns the real reason; then every field
 * of the type: its msgpack type, integer ranges, string and byte lengths, array sizes, shapes
 * against the model (`ctx.parameterCount`), and last the finiteness of every float. Weights and
 * gradients are not in messages: they follow as tensor frames (tensor-frames.ts).
 * Unknown extra fields are ignored; the returned message is a fresh object with the known
 * fields only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  COORDINATOR_ID_BYTES,
  MAC_BYTES,
  MAX_PARAMETER_COUNT,
  MAX_THREADS,
  MAX_WORLD_SIZE,
  NONCE_BYTES,
} from './constants.js';
import {
  array,
  boolean,
  bytes,
  describe,
  finiteNumber,
  fingerprint,
  integer,
  invalid,
  isPlainMap,
  map,
  oneOf,
  own,
  string,
  type Fields,
} from './fields.js';
import { assertLimits, type ProtocolLimits } from './limits.js';
import {
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  WORKER_AGENTS,
  type Message,
  type MessageType,
  type WorkerAgent,
  type ResultMessage,
  type StepMessage,
  type WireChainRole,
  type WireShard,
} from './messages.js';
import { validateLocalRound } from './validate-local-round.js';
import { validateWelcome } from './validate-welcome.js';

/** What the receiver already knows, to check messages against. */
export interface ValidationContext {
  /** The model's parameter count P, once known (tensor frames are checked against it, tensor-frames.ts). */
  readonly parameterCount?: number;
  /** Message types allowed in the connection's current state; any other type is UNEXPECTED. */
  readonly allowed?: readonly MessageType[];
}

type Validator<M extends Message> = (o: Fields, limits: ProtocolLimits, ctx: ValidationContext) => M;
type Validators = { [K in MessageType]: Validator<Extract<Message, { t: K }>> };

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);
const REDUCE_MODES = ['each', 'sum'] as const;
const RESULT_PRECISIONS = ['bf16'] as const;

/**
 * Checks a decoded value and returns it as a typed message.
 * @param value what msgpack decoded
 * @param limits the connection's limits (string lengths, shard count, chunk size)
 * @param ctx [{}] what the receiver knows: the parameter count, the allowed types
 * @throws ProtocolError GS_ERR_PROTOCOL_MALFORMED (not a map), _VERSION (hello of another
 *   version), _UNEXPECTED (type not in ctx.allowed), _INVALID (anything else wrong),
 *   _NON_FINITE (NaN/Infinity in a gradient, loss sum or weight)
 * @throws TypeError/RangeError if limits or ctx are not well formed (a caller bug)
 */
export function validateMessage(value: unknown, limits: ProtocolLimits, ctx: ValidationContext = {}): Message {
  assertLimits(limits);
  const P = ctx.parameterCount;
  if (P !== undefined && (!Number.isSafeInteger(P) || P < 1 || P > MAX_PARAMETER_COUNT)) {
    throw new RangeError(`ctx.parameterCount must be an integer in [1, ${MAX_PARAMETER_COUNT}], got ${P}`);
  }
  if (!isPlainMap(value)) {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED, `message must be a msgpack map, got ${describe(value)}`);
  }
  const t = own(value, 't');
  if (typeof t !== 'string' || !KNOWN_TYPES.has(t)) {
    throw invalid('t', `a message type (${MESSAGE_TYPES.join(', ')})`, t);
  }
  const type = t as MessageType;
  if (ctx.allowed !== undefined && !ctx.allowed.includes(type)) {
    throw new ProtocolError(
      ProtocolErrorCode.UNEXPECTED,
      `unexpected '${type}' message here; expected ${ctx.allowed.map((a) => `'${a}'`).join(' or ') || 'nothing'}`,
    );
  }
  return (VALIDATORS[type] as Validator<Message>)(value, limits, ctx);
}

const VALIDATORS: Validators = {
  hello(o, limits) {
    // The version first: an older or newer peer must hear "version", not some field it lacks.
    const version = integer(own(o, 'version'), 'hello.version');
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        ProtocolErrorCode.VERSION,
        `protocol version mismatch: the peer speaks version ${version}, ` +
          `this side speaks version ${PROTOCOL_VERSION} - help: upgrade the older side`,
      );
    }
    const worldSize = own(o, 'worldSize');
    const agent = own(o, 'agent');
    if (agent !== undefined && !WORKER_AGENTS.includes(agent as WorkerAgent))
      throw new ProtocolError(
        ProtocolErrorCode.INVALID,
        `hello.agent must be one of ${WORKER_AGENTS.join(', ')}, got ${JSON.stringify(String(agent)).slice(0, 40)}`,
      );
    return {
      t: 'hello',
      version,
      threads: integer(own(o, 'threads'), 'hello.threads', 1, MAX_THREADS),
      backend: string(own(o, 'backend'), 'hello.backend', limits.maxLabelLength, 1),
      label: string(own(o, 'label'), 'hello.label', limits.maxLabelLength),
      // Optional, so workers that do not send it still join: the version stays 2.
      ...(worldSize === undefined ? {} : { worldSize: integer(worldSize, 'hello.worldSize', 1, MAX_WORLD_SIZE) }),
      ...(agent === undefined ? {} : { agent: agent as WorkerAgent }),
    };
  },
  challenge: (o) => ({
    t: 'challenge',
    nonce: bytes(own(o, 'nonce'), 'challenge.nonce', { length: NONCE_BYTES }),
    coordinatorId: bytes(own(o, 'coordinatorId'), 'challenge.coordinatorId', { length: COORDINATOR_ID_BYTES }),
  }),
  auth: (o, limits) => ({
    t: 'auth',
    mac: bytes(own(o, 'mac'), 'auth.mac', { length: MAC_BYTES }),
    cnonce: bytes(own(o, 'cnonce'), 'auth.cnonce', { length: NONCE_BYTES }),
    dialled: string(own(o, 'dialled'), 'auth.dialled', limits.maxLabelLength, 1),
  }),
  welcome: validateWelcome,
  'data-request': (o, limits) => ({
    t: 'data-request',
    fingerprint: fingerprint(own(o, 'fingerprint'), 'data-request.fingerprint'),
    offset: integer(own(o, 'offset'), 'data-request.offset'),
    length: integer(own(o, 'length'), 'data-request.length', 1, limits.maxChunkBytes),
  }),
  'data-chunk': (o, limits) => ({
    t: 'data-chunk',
    fingerprint: fingerprint(own(o, 'fingerprint'), 'data-chunk.fingerprint'),
    offset: integer(own(o, 'offset'), 'data-chunk.offset'),
    bytes: bytes(own(o, 'bytes'), 'data-chunk.bytes', { minLength: 1, maxLength: limits.maxChunkBytes }),
  }),
  ready: (o, limits) => {
    const rawPort = own(o, 'peerPort');
    const rawHost = own(o, 'peerHost');
    const rawPin = own(o, 'peerFingerprint');
    return {
      t: 'ready',
      fingerprint: fingerprint(own(o, 'fingerprint'), 'ready.fingerprint'),
      ...(rawPort === undefined ? {} : { peerPort: integer(rawPort, 'ready.peerPort', 1, 65535) }),
      ...(rawHost === undefined ? {} : { peerHost: string(rawHost, 'ready.peerHost', limits.maxLabelLength, 1) }),
      ...(rawPin === undefined ? {} : { peerFingerprint: certificatePin(rawPin, 'ready.peerFingerprint') }),
    };
  },
  step: validateStep,
  result: validateResult,
  heartbeat: (o) => ({ t: 'heartbeat', timeMs: finiteNumber(own(o, 'timeMs'), 'heartbeat.timeMs', 0) }),
  leave: (o, limits) => ({ t: 'leave', reason: string(own(o, 'reason'), 'leave.reason', limits.maxLabelLength) }),
  error: (o, limits) => ({
    t: 'error',
    code: string(own(o, 'code'), 'error.code', limits.maxLabelLength, 1),
    message: string(own(o, 'message'), 'error.message', limits.maxLabelLength),
  }),
};

function validateStep(o: Fields, limits: ProtocolLimits): StepMessage {
  const step = integer(own(o, 'step'), 'step.step');
  const request = integer(own(o, 'request'), 'step.request');
  const version = integer(own(o, 'version'), 'step.version');
  const rawWeights = own(o, 'weights');
  const weights = rawWeights === undefined ? undefined : boolean(rawWeights, 'step.weights');
  const rawFinal = own(o, 'final');
  const final = rawFinal === undefined ? undefined : boolean(rawFinal, 'step.final');
  const rawPrecision = own(o, 'resultPrecision');
  const resultPrecision =
    rawPrecision === undefined ? undefined : oneOf(rawPrecision, 'step.resultPrecision', RESULT_PRECISIONS);
  const epoch = integer(own(o, 'epoch'), 'step.epoch');
  const batch = integer(own(o, 'batch'), 'step.batch');
  const shards = array(own(o, 'shards'), 'step.shards', 1, limits.maxShardsPerStep).map((s, i): WireShard => {
    const m = map(s, `step.shards[${i}]`);
    return {
      offset: integer(own(m, 'offset'), `step.shards[${i}].offset`),
      count: integer(own(m, 'count'), `step.shards[${i}].count`, 1),
    };
  });
  const reduce = oneOf(own(o, 'reduce'), 'step.reduce', REDUCE_MODES);
  const rawChain = own(o, 'chain');
  const chain = rawChain === undefined ? undefined : validateChainRole(map(rawChain, 'step.chain'), limits);
  const rawLocal = own(o, 'local');
  const local = rawLocal === undefined ? undefined : validateLocalRound(map(rawLocal, 'step.local'), shards);
  if (local !== undefined && (chain !== undefined || reduce !== 'each'))
    throw invalid('step.local', "a round of reduce 'each' off the chain", rawLocal);
  return {
    t: 'step',
    step,
    request,
    version,
    ...(weights === undefined ? {} : { weights }),
    epoch,
    batch,
    shards,
    reduce,
    ...(resultPrecision === undefined ? {} : { resultPrecision }),
    ...(chain === undefined ? {} : { chain }),
    ...(local === undefined ? {} : { local }),
    ...(final === undefined ? {} : { final }),
  };
}

function validateChainRole(m: Fields, limits: ProtocolLimits): WireChainRole {
  const nextId = integer(own(m, 'nextId'), 'step.chain.nextId', -1, 0x7fffffff);
  const rawNext = own(m, 'next');
  const next = rawNext === undefined ? undefined : string(rawNext, 'step.chain.next', limits.maxLabelLength, 1);
  if (next !== undefined && !/^wss?:\/\//.test(next)) throw invalid('step.chain.next', 'a ws:// or wss:// URL', next);
  if ((next === undefined) !== (nextId === -1))
    throw invalid('step.chain.next', 'a URL exactly when nextId names a worker', next);
  const rawPin = own(m, 'nextFingerprint');
  const nextFingerprint = rawPin === undefined ? undefined : certificatePin(rawPin, 'step.chain.nextFingerprint');
  if ((nextFingerprint !== undefined) !== (next?.startsWith('wss://') === true))
    throw invalid('step.chain.nextFingerprint', 'a certificate SHA-256 exactly when next is a wss:// URL', rawPin);
  return {
    round: integer(own(m, 'round'), 'step.chain.round', 0, 0xffffffff),
    prev: integer(own(m, 'prev'), 'step.chain.prev', -1, 0x7fffffff),
    nextId,
    ...(next === undefined ? {} : { next }),
    ...(nextFingerprint === undefined ? {} : { nextFingerprint }),
    chunkFloats: integer(own(m, 'chunkFloats'), 'step.chain.chunkFloats', 1, 1 << 20),
  };
}

function validateResult(o: Fields, limits: ProtocolLimits): ResultMessage {
  const step = integer(own(o, 'step'), 'result.step');
  const request = integer(own(o, 'request'), 'result.request');
  const version = integer(own(o, 'version'), 'result.version');
  // The gradients follow as tensor frames (tensor-frames.ts); the message says how many.
  const n = integer(own(o, 'grads'), 'result.grads', 0, limits.maxShardsPerStep);
  const rawFailed = own(o, 'failed');
  if (rawFailed !== undefined) {
    const failed = string(rawFailed, 'result.failed', limits.maxLabelLength, 1);
    const blame = integer(own(o, 'blame'), 'result.blame', -1, 0x7fffffff);
    const computeMs = finiteNumber(own(o, 'computeMs'), 'result.computeMs', 0);
    if (n !== 0) throw invalid('result.grads', '0 for a failed chain step', n);
    const rawUnreachable = own(o, 'unreachable');
    const unreachable = rawUnreachable === undefined ? false : boolean(rawUnreachable, 'result.unreachable');
    return {
      t: 'result',
      step,
      request,
      version,
      grads: 0,
      lossSums: [],
      counts: [],
      computeMs,
      failed,
      blame,
      ...(unreachable ? { unreachable } : {}),
    };
  }
  // No gradients: a chain step's statistics, one per shard (each) or one (sum); checkResultForStep checks which.
  const rawLossSums = array(own(o, 'lossSums'), 'result.lossSums', Math.max(n, 1), n || limits.maxShardsPerStep);
  const rawCounts = array(own(o, 'counts'), 'result.counts', rawLossSums.length, rawLossSums.length);
  const counts = rawCounts.map((c, i) => integer(c, `result.counts[${i}]`, 1));
  const computeMs = finiteNumber(own(o, 'computeMs'), 'result.computeMs', 0);
  const lossSums = rawLossSums.map((s, i) => lossSum(s, `result.lossSums[${i}]`));
  const peer = optionalByteCounts(o);
  return { t: 'result', step, request, version, grads: n, lossSums, counts, computeMs, ...peer };
}

/** A loss sum: a number (else INVALID) that is finite (else NON_FINITE). */
function lossSum(value: unknown, path: string): number {
  if (typeof value !== 'number') throw invalid(path, 'a finite number', value);
  if (!Number.isFinite(value)) {
    throw new ProtocolError(ProtocolErrorCode.NON_FINITE, `${path} must be finite, got ${value}`);
  }
  return value;
}

/** A certificate's SHA-256 as 64 lowercase hex digits (how peers pin each other's TLS endpoints). */
function certificatePin(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value))
    throw invalid(field, 'a SHA-256 of 64 lowercase hex digits', value);
  return value;
}

/** A chain result's peer-link byte counts, each present or absent (whole numbers of bytes). */
function optionalByteCounts(o: Fields): { peerSentBytes?: number; peerReceivedBytes?: number } {
  const sent = own(o, 'peerSentBytes');
  const received = own(o, 'peerReceivedBytes');
  return {
    ...(sent === undefined ? {} : { peerSentBytes: integer(sent, 'result.peerSentBytes', 0) }),
    ...(received === undefined ? {} : { peerReceivedBytes: integer(received, 'result.peerReceivedBytes', 0) }),
  };
}
