import type { DashboardSnapshot } from '@gradswarm/coordinator';
import { describe, expect, it } from 'vitest';
import { renderDashboardPage, renderDashboardView } from '../src/index.js';

const status = {
  format: 'gradswarm-status',
  version: 1,
  state: 'training',
  step: 30,
  epoch: 2,
  epochs: 5,
  batch: 6,
  batchesPerEpoch: 12,
  cost: 0.5,
  samplesPerSecond: 1234,
  reproducible: null,
  localThreads: 1,
  workers: [],
  workersAdmitted: 1,
  workersDeparted: 0,
  unauthenticatedConnections: 0,
} as const;

function snapshot(over: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    format: 'gradswarm-dashboard',
    status,
    totalSteps: 60,
    etaMs: 95_000,
    costs: Array.from({ length: 30 }, (_, i) => 2 / (i + 1)),
    firstStep: 0,
    epochs: [
      { epoch: 0, cost: 1, trainAccuracy: 0.8, testAccuracy: 0.7 },
      { epoch: 1, cost: 0.6, trainAccuracy: 0.9, testAccuracy: 0.85 },
    ],
    phases: Array.from({ length: 30 }, (_, i) => ({
      step: i,
      computeMs: 2,
      waitMs: 1,
      reduceUpdateMs: 0.5,
      totalMs: 4,
      samplesPerSecond: 2500,
    })),
    workers: [
      {
        label: 'thread 0',
        kind: 'thread',
        threads: 1,
        backend: 'native',
        samplesPerSecond: 3000,
        computeMs: 2,
        waitMs: 0.1,
        bytesPerStep: 0,
        lastSeenMsAgo: 10,
        state: 'READY',
        straggler: false,
      },
      {
        label: 'worker 1 (<b>evil</b>)',
        kind: 'node',
        threads: 2,
        backend: 'native',
        samplesPerSecond: 900,
        computeMs: 7,
        waitMs: 3,
        bytesPerStep: 9680,
        lastSeenMsAgo: 1500,
        state: 'READY',
        straggler: true,
      },
    ],
    membership: [{ atMs: Date.UTC(2026, 0, 1, 12, 0, 5), kind: 'joined', text: 'worker 1 (<b>evil</b>) joined' }],
    ...over,
  };
}

describe('renderDashboardView', () => {
  it('draws the four charts, the facts, a straggler row and the membership log, escaping worker text', () => {
    const html = renderDashboardView(snapshot());
    for (const chart of ['minibatch-cost', 'accuracy', 'step-time', 'samples-per-second'])
      expect(html).toContain(`<figure data-chart="${chart}"><svg`);
    expect(html).toMatch(/data-fact="step"><dt>step<\/dt><dd>30 \/ 60<\/dd>/);
    expect(html).toMatch(/data-fact="eta"><dt>ETA<\/dt><dd>1 min 35 s<\/dd>/);
    expect(html).toContain('<tr class="straggler"><td>worker 1 (&lt;b&gt;evil&lt;/b&gt;) (straggler)</td>');
    expect(html).toContain('<td>9.68 KB</td>');
    expect(html).toContain('<td>12:00:05</td><td>joined</td><td>worker 1 (&lt;b&gt;evil&lt;/b&gt;) joined</td>');
    expect(html).not.toContain('<b>evil');
  });

  it('says what is missing before the first step and before an evaluation', () => {
    const html = renderDashboardView(
      snapshot({ costs: [], epochs: [], phases: [], workers: [], membership: [], etaMs: null }),
    );
    for (const name of ['minibatch-cost', 'accuracy', 'step-time', 'samples-per-second', 'workers', 'membership'])
      expect(html).toContain(`data-missing="${name}"`);
    expect(html).toMatch(/data-fact="eta"><dt>ETA<\/dt><dd>–<\/dd>/);
  });
});

describe('renderDashboardPage', () => {
  it('is one document with an inline script that reads the stream with a Bearer header and fetches nothing else', () => {
    const page = renderDashboardPage();
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain("fetch('/dashboard/events', { headers: { authorization: 'Bearer ' + token }");
    expect(page).not.toMatch(/<script[^>]+src=|<link|https?:\/\//);
    expect(page).toContain('<main></main>');
  });
});
