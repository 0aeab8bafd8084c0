import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROTOCOL_LIMITS,
  encodeTensorFrame,
  TensorKind,
  encodeMessage,
  handshakeLimits,
  sessionKey,
  limitsForModel,
  PROTOCOL_VERSION,
  resolveProtocolLimits,
  sealMessage,
  type Message,
  type ResultMessage,
  type StepMessage,
} from '../src/index.js';

const MiB = 1024 * 1024;

describe('DEFAULT_PROTOCOL_LIMITS', () => {
  it("is frozen and starts at ws's 100 MiB payload limit", () => {
    expect(DEFAULT_PROTOCOL_LIMITS).toEqual({
      maxPayloadBytes: 100 * MiB,
      maxShardsPerStep: 1024,
      maxLabelLength: 1024,
      maxChunkBytes: MiB,
    });
    expect(Object.isFrozen(DEFAULT_PROTOCOL_LIMITS)).toBe(true);
  });
});

describe('resolveProtocolLimits', () => {
  it('fills missing limits from the defaults and freezes the result', () => {
    const limits = resolveProtocolLimits({ maxChunkBytes: 4096 });
    expect(limits).toEqual({ ...DEFAULT_PROTOCOL_LIMITS, maxChunkBytes: 4096 });
    expect(Object.isFrozen(limits)).toBe(true);
  });

  describe('options', () => {
    it.each([0, -1, 1.5, Infinity, NaN])('refuses %s with RangeError', (bad) => {
      expect(() => resolveProtocolLimits({ maxPayloadBytes: bad })).toThrow(RangeError);
      expect(() => resolveProtocolLimits({ maxPayloadBytes: bad })).toThrow(
        /^options.maxPayloadBytes must be a positive safe integer/,
      );
    });

    it('refuses a non-number with TypeError', () => {
      expect(() => resolveProtocolLimits({ maxShardsPerStep: '4' as unknown as number })).toThrow(TypeError);
    });
  });
});

describe('limitsForModel', () => {
  it('sizes maxPayloadBytes to a result of maxShards float32 gradients plus 64 KiB', () => {
    const P = 1_000_000;
    const limits = limitsForModel(P, 8);
    expect(limits.maxShardsPerStep).toBe(8);
    expect(limits.maxPayloadBytes).toBe(8 * (4 * P + 23) + 64 * 1024);
  });

  it('sizes maxPayloadBytes to the weights when one shard is allowed', () => {
    expect(limitsForModel(1_000_000, 1).maxPayloadBytes).toBe(5 + 4_000_000 + 32 + 64 * 1024);
  });

  it('never goes below a full data chunk, for tiny models', () => {
    expect(limitsForModel(10, 2).maxPayloadBytes).toBe(5 + MiB + 64 * 1024);
  });

  it('leaves room for the largest real step and result of the model, signed', async () => {
    const P = 7850; // layers [784, 10]
    const maxShards = 64;
    const limits = limitsForModel(P, maxShards);
    const grad = new Uint8Array(4 * P);
    const result: ResultMessage = {
      t: 'result',
      step: 2 ** 52,
      request: 2 ** 52,
      version: 2 ** 52,
      grads: maxShards,
      lossSums: Array.from({ length: maxShards }, () => Math.PI * 1e10),
      counts: Array.from({ length: maxShards }, () => 2 ** 40),
      computeMs: 1.5,
    };
    const step: StepMessage = {
      t: 'step',
      step: 2 ** 52,
      request: 2 ** 52,
      version: 2 ** 52,
      weights: true,
      epoch: 2 ** 52,
      batch: 2 ** 52,
      shards: Array.from({ length: maxShards }, () => ({ offset: 2 ** 52, count: 2 ** 52 })),
      reduce: 'each',
    };
    // Every message after auth also carries n and sig (seal.ts).
    const key = await sessionKey(new Uint8Array(32));
    expect((await sealMessage(result, key, 2 ** 52)).length).toBeLessThanOrEqual(limits.maxPayloadBytes);
    expect((await sealMessage(step, key, 2 ** 52)).length).toBeLessThanOrEqual(limits.maxPayloadBytes);
    // The weights and each gradient travel as a tensor frame of their own (tensor-frames.ts).
    const header = { kind: TensorKind.RESULT_GRADIENT, seq: 2 ** 32 - 1, round: 1, index: 63, parameterCount: P };
    const frame = await encodeTensorFrame(header, new Float32Array(grad.buffer), 'f32', key);
    expect(frame.length).toBeLessThanOrEqual(limits.maxPayloadBytes);
  });

  it('keeps the default string and chunk limits', () => {
    const limits = limitsForModel(100, 4);
    expect(limits.maxLabelLength).toBe(DEFAULT_PROTOCOL_LIMITS.maxLabelLength);
    expect(limits.maxChunkBytes).toBe(DEFAULT_PROTOCOL_LIMITS.maxChunkBytes);
  });

  it('refuses a parameter count or shard count that is not a positive integer', () => {
    expect(() => limitsForModel(0, 1)).toThrow(RangeError);
    expect(() => limitsForModel(2 ** 29, 1)).toThrow(RangeError);
    expect(() => limitsForModel(10, 0)).toThrow(RangeError);
    expect(() => limitsForModel(10, 1.5)).toThrow(RangeError);
  });
});

describe('handshakeLimits (issue 17 item 1)', () => {
  const sig = { n: 1, sig: new Uint8Array(32) };
  const label = '€'.repeat(DEFAULT_PROTOCOL_LIMITS.maxLabelLength); // 3 UTF-8 bytes per unit, the worst case

  it('bounds a frame before authentication to a few kB, whatever the model', () => {
    const early = handshakeLimits(limitsForModel(2 ** 26, 1024));
    expect(early.maxPayloadBytes).toBeLessThan(16 * 1024);
    expect(early.maxLabelLength).toBe(DEFAULT_PROTOCOL_LIMITS.maxLabelLength);
    expect(Object.isFrozen(early)).toBe(true);
    expect(handshakeLimits({ ...DEFAULT_PROTOCOL_LIMITS, maxPayloadBytes: 100 }).maxPayloadBytes).toBe(100);
  });

  it('still fits the largest hello, auth, error and welcome the validator accepts', () => {
    const early = handshakeLimits(DEFAULT_PROTOCOL_LIMITS);
    const largest: Message[] = [
      { t: 'hello', version: PROTOCOL_VERSION, threads: 1024, backend: label, label },
      { t: 'auth', mac: new Uint8Array(32), cnonce: new Uint8Array(32), dialled: label },
      { t: 'error', code: label, message: label },
      {
        t: 'welcome',
        mac: new Uint8Array(32),
        workerId: Number.MAX_SAFE_INTEGER,
        spec: { layers: [...Array(255).fill(65536), 1], hidden: 'sigmoid', output: 'softmax', loss: 'ce' },
        config: { seed: Number.MIN_SAFE_INTEGER, shuffle: true, blockRows: 65536 },
        dataset: {
          fingerprint: 'f'.repeat(64),
          count: Number.MAX_SAFE_INTEGER,
          featureCount: 65536,
          classCount: Number.MAX_SAFE_INTEGER,
          bytes: Number.MAX_SAFE_INTEGER,
          name: label,
        },
        chunkBytes: DEFAULT_PROTOCOL_LIMITS.maxChunkBytes,
        heartbeatMs: 86_400_000,
      },
    ];
    for (const m of largest) {
      const bytes = encodeMessage({ ...m, ...sig } as Message).byteLength;
      expect(bytes, m.t).toBeLessThanOrEqual(early.maxPayloadBytes);
    }
  });
});
