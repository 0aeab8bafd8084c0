/** The structural chain model's formulas against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { leastProfile, profileOf } from '../src/chain-probes.js';
import {
  fitHopOnTwo,
  predictStructured,
  projectStructured,
  type ChainStructureInputs,
} from '../src/chain-structure.js';
import {
  CHUNK_FRAME_EXTRA_BYTES,
  chainTimeline,
  scaleProfile,
  TokenBucket,
  type ChainTimelineInputs,
  type ComputeProfile,
} from '../src/chain-timeline.js';

/** P = 40 floats in 4 chunks of 10; two unit blocks ending at floats 20 and 36; 4 floats above. */
const PROFILE: ComputeProfile = {
  samples: 100,
  forwardBlocksMs: [1, 1],
  upperMs: 0.5,
  backwardBlocksMs: [2, 2],
  blockEnds: [20, 36],
};
/** 1 byte/ms over 48 extra + 40 float bytes: a chunk of 10 floats takes 88 ms on the link. */
const BASE: ChainTimelineInputs = {
  workers: 1,
  parameters: 40,
  chunkFloats: 10,
  profile: PROFILE,
  linkBytesPerMs: 1,
  wireOverhead: 1,
  burstBytes: 0,
  hopCpuMs: 0,
  addCpuMs: 0,
  hopLatencyMs: 0,
  updateMs: 0.25,
  cpuShare: 1,
};
const CHUNK_BYTES = 4 * 10 + CHUNK_FRAME_EXTRA_BYTES;

describe('the token bucket of a shaped link end', () => {
  it('lets the burst through at once and then paces at the rate', () => {
    const b = new TokenBucket(2, 100); // 2 bytes/ms, 100 bytes of burst
    expect(b.send(0, 60)).toBe(0); // 40 tokens left
    expect(b.send(0, 60)).toBe(10); // 20 missing at 2/ms
    expect(b.send(100, 60)).toBe(100); // refilled to the full 100 meanwhile
    expect(new TokenBucket(Number.POSITIVE_INFINITY, 0).send(5, 1e9)).toBe(5); // loopback
  });
});

describe('the chain step timeline', () => {
  it('one worker, no CPU cost: weights at the rate, compute on the rows it has, sums at the rate', () => {
    const t = chainTimeline(BASE);
    // Weights: chunks complete at 88, 176, 264, 352 ms.
    expect(t.headWeightsInMs).toBe(352);
    // Forward block 1 needs floats < 20 (chunk 1, 176) → 177; block 2 needs < 36 (chunk 3, 352) → 353;
    // the layers above 353.5; ∂W_1 blocks end at 355.5 and 357.5.
    expect(t.headComputeEndMs).toBe(357.5);
    // Sum chunks 0, 1 are final at 355.5 (block 1 ends at float 20), 2, 3 at 357.5: sent back to
    // back from 355.5, the last arrives 355.5 + 4·88.
    expect(t.sumInMs).toBe(355.5 + 4 * 88);
    expect(t.totalMs).toBe(355.5 + 4 * 88 + 0.25);
  });

  it('each further worker adds a store-and-forward hop each way only where the bucket has no burst', () => {
    const two = chainTimeline({ ...BASE, workers: 2 });
    // Weights: worker 2 has chunk i at 88(i+1) and forwards it: the head has it 88 ms later.
    expect(two.headWeightsInMs).toBe(352 + 88);
    expect(two.headComputeEndMs).toBe(357.5 + 88);
    // The head's sums reach worker 2 by 445.5 + 4·88; its own are final by then; one more chunk time.
    expect(two.sumInMs).toBe(357.5 + 88 - 2 + 5 * 88);
    // A burst of one chunk lets each forwarded chunk through at once: no hop delay.
    const burst = chainTimeline({ ...BASE, workers: 2, burstBytes: CHUNK_BYTES });
    expect(burst.headWeightsInMs).toBeLessThan(two.headWeightsInMs);
  });

  it('charges the frame CPU: per hop, to the compute while frames stream, and to the sum stream', () => {
    const t = chainTimeline({ ...BASE, hopCpuMs: 2, hopLatencyMs: 3 });
    // Weights: chunk 0 signed by 1 ms, then back to back on the link, +3 ms latency, +1 ms to verify.
    expect(t.headWeightsInMs).toBe(1 + 4 * 88 + 3 + 1);
    // Forward block 2 starts once the stream is over (357): at the full core. ∂W_1 runs beside its
    // sums' sending: 1 ms of CPU per 88 ms chunk takes 1/88 of the core.
    const bwd = 2 / (1 - 1 / 88);
    expect(t.headComputeEndMs).toBeCloseTo(357 + 1 + 0.5 + 2 * bwd, 9);
    // Sum chunk 0 is signed on the main thread at half the core while computing: 1 ms of CPU in 2;
    // then four chunk times on the link, the latency and the verify.
    expect(t.sumInMs).toBeCloseTo(358.5 + bwd + 2 + 4 * 88 + 3 + 1, 9);
    // The weights' frames slow a forward block that runs while they stream (block 1: chunk 1 in at 181).
    const slowed = chainTimeline({ ...BASE, hopCpuMs: 2, profile: { ...PROFILE, forwardBlocksMs: [200, 1] } });
    expect(slowed.headComputeEndMs).toBeCloseTo(1 + 2 * 88 + 1 + 200 / (1 - 1 / 88) + 1 + 0.5 + 2 * bwd, 9);
  });

  it('slows every process by cores / Σquota when the machine has fewer cores than the quotas', () => {
    const t = chainTimeline({ ...BASE, cpuShare: 0.5 });
    expect(t.headComputeEndMs).toBe(352 + 2 * 1 + 2 * 0.5 + 2 * 4); // the forward's last block, above, ∂W_1
  });

  it('scales a profile linearly in samples', () => {
    const p = scaleProfile(PROFILE, 250);
    expect(p.forwardBlocksMs).toEqual([2.5, 2.5]);
    expect(p.upperMs).toBe(1.25);
    expect(p.backwardBlocksMs).toEqual([5, 5]);
  });
});

describe('the compute probe', () => {
  it('reads the phases off the overlap hooks’ times', () => {
    // Forward blocks open at 0.5 and 2 (ends 20, 36), the layers above at 3.5; ∂W_1 blocks end at 6 and 7.
    const p = profileOf(
      [
        [0.5, 20],
        [2, 36],
        [3.5, 40],
      ],
      [
        [6, 20],
        [7, 36],
        [7, 40],
      ],
      7.25,
      100,
    );
    expect(p.forwardBlocksMs).toEqual([2, 1.5]); // the first includes loading the samples
    expect(p.backwardBlocksMs).toEqual([1, 1]); // the first block taken as the least of the others
    expect(p.upperMs).toBe(6 - 3.5 - 1 + 0.25);
    expect(p.blockEnds).toEqual([20, 36]);
    const slower = { ...p, forwardBlocksMs: [3, 1], upperMs: 9 };
    expect(leastProfile([slower, p]).forwardBlocksMs).toEqual([2, 1]);
    expect(leastProfile([slower, p]).upperMs).toBe(p.upperMs);
    expect(() => profileOf([[0, 1]], [[0, 1]], 1, 1)).toThrow(RangeError);
  });
});

describe('the structural model on a testbed', () => {
  const inputs: ChainStructureInputs = {
    profile: PROFILE,
    hopCpuMs: 0,
    addCpuMs: 0,
    linkGbit: 8e-6, // 1 byte/ms
    burstBytes: 0,
    wireOverhead: 1,
    hopLatencyMs: 0,
    updateMs: 0.25,
    chunkFloats: 10,
    parameters: 40,
    cores: 2,
    quotaCores: 0.5,
  };

  it('predicts the hand-computed step and counts the quotas against the cores', () => {
    expect(predictStructured(inputs, 1, 100).totalMs).toBe(355.5 + 4 * 88 + 0.25);
    // 4 workers + the coordinator at 0.5 cores on 2 cores: each gets 0.8 of its quota.
    const four = predictStructured(inputs, 4, 100);
    const alone = predictStructured({ ...inputs, cores: 8 }, 4, 100);
    expect(four.headComputeEndMs - alone.headComputeEndMs).toBeCloseTo((1 + 0.5 + 4) * (1 / 0.8 - 1), 9);
  });

  it('fits a hop’s CPU on W ≤ 2 and predicts the rest; says nothing without W = 2', () => {
    const truth = { ...inputs, hopCpuMs: 3 };
    const rows = [1, 2, 4].map((w) => ({
      workers: w,
      samplesPerStep: 100 * w,
      totalMs: predictStructured(truth, w, 100).totalMs,
      network: 'rate=…',
    }));
    const fit = fitHopOnTwo({ ...inputs, hopCpuMs: 0.5 }, rows)!;
    expect(fit.hopCpuMs).toBeGreaterThan(0.5 * 1.05 ** 34);
    expect(fit.hopCpuMs).toBeLessThan(0.5 * 1.05 ** 38); // the grid's step brackets 3 = 0.5 · 6
    for (const c of fit.checks) expect(Math.abs(c.relativeError)).toBeLessThan(0.01);
    expect(fitHopOnTwo(inputs, rows.slice(0, 1))).toBeNull();
  });

  it('projects 16-256 workers at 1 and 10 Gbit/s, efficiency at most 1', () => {
    const points = projectStructured({ ...inputs, linkGbit: 1 }, { samplesPerStep: 100, perWorkerBatch: true });
    expect(points.map((p) => p.workers)).toEqual([16, 32, 64, 128, 256, 16, 32, 64, 128, 256]);
    for (const p of points) {
      expect(p.efficiency).toBeGreaterThan(0);
      expect(p.efficiency).toBeLessThanOrEqual(1);
      expect(p.stepMs.computeMs + p.stepMs.communicationMs + p.stepMs.updateMs).toBeCloseTo(p.stepMs.totalMs, 9);
    }
  });
});
