import { describe, expect, it } from 'vitest';
import { nonNegativeLeastSquares } from '../src/least-squares.js';
import { checkFit, fitCostModel, predictStep, project, transferTime, type Observation } from '../src/model.js';

describe('nonNegativeLeastSquares', () => {
  it('recovers exact coefficients of columns on very different scales', () => {
    const rows = [1, 2, 4, 8, 16].flatMap((w) => [1e5, 1e6].map((p) => [1, 2 * w, 8 * w * p]));
    const y = rows.map(([a, b, c]) => 0.5 * a + 0.07 * b + 3e-6 * c);
    const fit = nonNegativeLeastSquares(rows, y);
    expect(fit.coefficients[0]).toBeCloseTo(0.5, 9);
    expect(fit.coefficients[1]).toBeCloseTo(0.07, 9);
    expect(fit.coefficients[2]).toBeCloseTo(3e-6, 14);
    expect(fit.residual).toBeLessThan(1e-12);
  });

  it('sets a coefficient that would be negative to 0 and refits the rest', () => {
    const rows = [
      [1, 1],
      [1, 2],
      [1, 3],
    ];
    const fit = nonNegativeLeastSquares(rows, [3, 2, 1]); // OLS: 4 − x
    expect(fit.coefficients[1]).toBe(0);
    expect(fit.coefficients[0]).toBeCloseTo(2, 12);
  });

  it('gives one of two collinear columns 0 instead of noise', () => {
    const rows = [1, 2, 3, 4].map((w) => [w, 1000 * w]);
    const fit = nonNegativeLeastSquares(
      rows,
      rows.map(([w]) => 5 * w),
    );
    expect(fit.coefficients.filter((c) => c === 0)).toHaveLength(1);
    expect(fit.residual).toBeLessThan(1e-9);
  });

  it('refuses mismatched sizes', () => {
    expect(() => nonNegativeLeastSquares([[1, 2]], [1, 2])).toThrow(RangeError);
  });
});

// Observations made from known constants: the fit must give them back, and the model must then
// predict every observation exactly.
const known = {
  c: 0.03, // ms per sample (one worker, its own core)
  rho0: 4e-6, // ms per parameter (update)
  rho: 2e-6, // ms per parameter per worker (reduction)
  alpha0: 0.5, // ms per step
  alpha: 0.08, // ms per message
  beta: 2e-6, // ms per byte (500 MB/s)
};
const B = 1000;
const bytesFor = (w: number, p: number): number => 2 * w * (4 * p + 100);

function observe(
  kind: Observation['kind'],
  workers: number,
  parameters: number,
  link: Observation['link'] = null,
): Observation {
  const bytes = bytesFor(workers, parameters);
  const computeMeanMs = kind === 'synthetic' ? 0 : (known.c * B) / workers;
  const reduceUpdateMs = known.rho0 * parameters + known.rho * workers * parameters;
  // The coordinator's CPU and its link work at once: the slower one sets the pace.
  const communicationMs =
    Math.max(known.alpha0 + known.alpha * 2 * workers + known.beta * bytes, transferTime(link, bytes)) +
    (link?.roundTripMs ?? 0);
  return {
    kind,
    workers,
    threads: kind === 'synthetic' ? 0 : 1,
    samplesPerStep: B,
    parameters,
    link,
    network: link ? 'shaped' : 'loopback',
    stepMs: {
      totalMs: computeMeanMs + reduceUpdateMs + communicationMs,
      computeMaxMs: computeMeanMs,
      computeMeanMs,
      reduceUpdateMs,
      communicationMs,
    },
    bytesPerStep: { sent: bytes / 2, received: bytes / 2 },
  };
}

describe('fitCostModel', () => {
  const P = 400_000;
  const observations = [
    observe('workers', 1, P),
    observe('workers', 2, P),
    ...[1, 8, 32, 128].flatMap((k) => [observe('synthetic', k, 100_000), observe('synthetic', k, 1_000_000)]),
  ];
  const m = fitCostModel(observations, 2);

  it('recovers known per-sample, per-parameter, per-step, per-message and per-byte costs', () => {
    expect(m.computePerSampleMs).toBeCloseTo(known.c, 12);
    expect(m.imbalance).toBe(1);
    expect(m.reducePerParameterMs).toBeCloseTo(known.rho0, 12);
    expect(m.reducePerWorkerParameterMs).toBeCloseTo(known.rho, 12);
    expect(m.alphaStepMs).toBeCloseTo(known.alpha0, 6);
    expect(m.alphaMessageMs).toBeCloseTo(known.alpha, 6);
    expect(m.betaByteMs).toBeCloseTo(known.beta, 12);
    expect(m.bytesPerMessage).toBeCloseTo(4 * P + 100, 6);
    expect(m.notes).toEqual([]);
  });

  it('then predicts every observation, and shaped links it never saw, within rounding', () => {
    // At 1 Gbit/s the link is the bottleneck, at 100 Gbit/s the coordinator's CPU.
    const shaped = [
      observe('workers', 2, P, { gbit: 1, roundTripMs: 0.8 }),
      observe('workers', 2, P, { gbit: 100, roundTripMs: 0.8 }),
    ];
    const [slow, fast] = shaped.map((o) =>
      predictStep(m, { ...o, bytes: o.bytesPerStep.sent + o.bytesPerStep.received }),
    );
    expect(slow.transferMs).toBeGreaterThan(slow.messagingMs);
    expect(fast.transferMs).toBeLessThan(fast.messagingMs);
    for (const check of checkFit(m, [...observations, ...shaped], 2))
      expect(Math.abs(check.relativeError)).toBeLessThan(1e-9);
  });

  it('says when one model size cannot separate per-message from per-byte costs', () => {
    const fit = fitCostModel([observe('workers', 1, P), observe('workers', 2, P)], 2);
    expect(fit.notes.join(' ')).toMatch(/could not separate/);
  });

  it('takes the CPU per message and byte as 0 without loopback runs, and says so', () => {
    const link = { gbit: 1, roundTripMs: 0 };
    const fit = fitCostModel([observe('workers', 1, P, link), observe('workers', 2, P, link)], 2);
    expect([fit.alphaStepMs, fit.alphaMessageMs, fit.betaByteMs]).toEqual([0, 0, 0]);
    expect(fit.notes.join(' ')).toMatch(/no loopback run/);
  });

  it('needs a run with real workers', () => {
    expect(() => fitCostModel([observe('synthetic', 4, P)], 2)).toThrow(RangeError);
  });
});

describe('predictStep and project', () => {
  const m = fitCostModel(
    [
      observe('workers', 1, 400_000),
      ...[1, 8, 32].flatMap((k) => [observe('synthetic', k, 100_000), observe('synthetic', k, 1_000_000)]),
    ],
    2,
  );

  it('sends every byte through the coordinator’s link, and waits for the slower of link and CPU plus a round trip', () => {
    const bytes = bytesFor(8, 400_000);
    expect(transferTime({ gbit: 1, roundTripMs: 0.2 }, bytes)).toBeCloseTo((bytes * 8) / 1e6, 9);
    expect(transferTime(null, bytes)).toBe(0);
    const part = predictStep(m, {
      workers: 8,
      threads: 1,
      samplesPerStep: B,
      parameters: 400_000,
      link: { gbit: 10, roundTripMs: 0.2 },
    });
    expect(part.communicationMs).toBeCloseTo(Math.max(part.messagingMs, part.transferMs) + 0.2, 12);
    expect(part.totalMs).toBeCloseTo(part.computeMs + part.reduceUpdateMs + part.communicationMs, 12);
    expect(part.computeMs).toBeCloseTo((known.c * B) / 8, 9);
  });

  it('charges shared cores only when asked (this machine), never in a projection', () => {
    const q = { workers: 4, threads: 1, samplesPerStep: B, parameters: 400_000, link: null };
    expect(predictStep(m, { ...q, cores: 2 }).computeMs).toBeCloseTo(2 * predictStep(m, q).computeMs, 9);
  });

  it('projects 8-256 workers at 1 and 10 Gbit/s, efficiency over one worker on the same link', () => {
    const points = project(m, { samplesPerStep: B, parameters: 400_000, threads: 1 });
    expect(points.map((p) => [p.workers, p.linkGbit])).toEqual(
      [1, 10].flatMap((g) => [8, 16, 32, 64, 128, 256].map((w) => [w, g])),
    );
    for (const p of points) {
      expect(p.samplesPerSecond).toBeCloseTo((B * 1000) / p.stepMs.totalMs, 6);
      const one = predictStep(m, {
        workers: 1,
        threads: 1,
        samplesPerStep: B,
        parameters: 400_000,
        link: { gbit: p.linkGbit, roundTripMs: 0.2 },
      }).totalMs;
      expect(p.efficiency).toBeCloseTo(one / (p.workers * p.stepMs.totalMs), 12);
    }
    const [one] = project(m, { samplesPerStep: B, parameters: 400_000, threads: 1 }, [1], [10]);
    expect(one.efficiency).toBeCloseTo(1, 12);
    // Weak scaling: every worker keeps B samples, so the batch is B·W.
    const weak = project(m, { samplesPerStep: B, parameters: 400_000, threads: 1, perWorkerBatch: true }, [1, 8], [1]);
    expect(weak.map((p) => p.batchSize)).toEqual([B, 8 * B]);
    expect(weak[0].efficiency).toBeCloseTo(1, 12);
    expect(weak[1].samplesPerSecond).toBeCloseTo((8 * B * 1000) / weak[1].stepMs.totalMs, 6);
    expect(weak[1].stepMs.computeMs).toBeCloseTo(known.c * B * m.imbalance, 9);
    // A faster link never makes a step slower.
    for (const w of [8, 256]) {
      const at = (g: number) => points.find((p) => p.workers === w && p.linkGbit === g)!.samplesPerSecond;
      expect(at(10)).toBeGreaterThan(at(1));
    }
  });
});
