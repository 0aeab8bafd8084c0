/**
 * One view of the live dashboard (the coordinator's `/`, issue 13): the HTML the coordinator
 * pushes to the page on every update, drawn from a DashboardSnapshot with the same charts and
 * tables as the training report. Findable parts, for people and the browser test:
 *   [data-fact="step"] …       the key figures (state, step, epoch, cost, samples/s, ETA, workers)
 *   [data-chart="…"]           minibatch-cost, accuracy, step-time, samples-per-second
 *   [data-table="workers"]     one row per worker; a straggler's row has class "straggler"
 *   [data-table="membership"]  joined, left, dropped (and why), reassigned; the newest first
 * Every text that came from a worker (its label, its reasons) is escaped here.
 */
import type { DashboardSnapshot, WorkerRow } from '@gradswarm/coordinator';
import { figure, figures, missing, table } from './html.js';
import { lineChart, type LineSeries, type Point } from './line-chart.js';
import { defaultWindow, movingAverage } from './moving-average.js';
import { escapeXml, formatBytes, formatNumber, formatPercent, PALETTE } from './svg.js';

const CHART = { width: 560, height: 300 } as const;

function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function facts(snap: DashboardSnapshot): string {
  const s = snap.status;
  const ready = s.workers.filter((w) => w.state === 'READY').length;
  const items: Array<[string, string, string]> = [
    ['state', 'state', s.state],
    ['step', 'step', `${s.step} / ${snap.totalSteps}`],
    ['epoch', 'epoch', `${s.epoch} / ${s.epochs}`],
    ['cost', 'cost', s.cost === null ? '–' : formatNumber(s.cost)],
    ['samples-per-second', 'samples/s', formatNumber(s.samplesPerSecond)],
    ['eta', 'ETA', duration(snap.etaMs)],
    ['workers', 'remote workers', `${ready} ready, ${s.workersDeparted} departed`],
    ['threads', 'local threads', String(s.localThreads)],
  ];
  return `<dl class="facts">${items
    .map(([key, k, v]) => `<div class="fact" data-fact="${key}"><dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd></div>`)
    .join('')}</dl>`;
}

function costChart(snap: DashboardSnapshot): string {
  if (snap.costs.length === 0) return missing('minibatch-cost', 'No step finished yet.');
  const points: Point[] = snap.costs.map((c, i) => [snap.firstStep + i + 1, c]);
  const window = defaultWindow(points.length);
  const smoothed = movingAverage(snap.costs, window).map((c, i): Point => [snap.firstStep + i + 1, c]);
  const batches = snap.status.batchesPerEpoch;
  const perEpoch: Point[] = snap.epochs.map((e) => [(e.epoch + 1) * batches, e.cost]);
  const series: LineSeries[] = [
    { name: 'minibatch', points, strokeWidth: 1.2, color: PALETTE[0], opacity: 0.45 },
    { name: `moving average of ${window}`, points: smoothed, color: PALETTE[1] },
  ];
  if (perEpoch.length) series.push({ name: 'epoch mean', points: perEpoch, color: PALETTE[2], markers: true });
  return figure(
    'minibatch-cost',
    lineChart({ title: 'Cost per step', xLabel: 'step', yLabel: 'cost J', x: { integer: true }, series, ...CHART }),
    'The cost of each minibatch, its trailing mean, and each finished epoch’s mean at its last step.',
  );
}

function accuracyChart(snap: DashboardSnapshot): string {
  const train: Point[] = [];
  const test: Point[] = [];
  for (const e of snap.epochs) {
    if (e.trainAccuracy !== null) train.push([e.epoch + 1, e.trainAccuracy]);
    if (e.testAccuracy !== null) test.push([e.epoch + 1, e.testAccuracy]);
  }
  if (train.length === 0) return missing('accuracy', 'No epoch evaluated yet (see --eval-every).');
  const series: LineSeries[] = [{ name: 'train', points: train, markers: true }];
  if (test.length) series.push({ name: 'test', points: test, markers: true });
  return figure(
    'accuracy',
    lineChart({
      title: 'Accuracy per epoch',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      x: { integer: true },
      y: { format: (v) => formatPercent(v, 0) },
      series,
      ...CHART,
    }),
  );
}

function phaseCharts(snap: DashboardSnapshot): string[] {
  if (snap.phases.length === 0)
    return [missing('step-time', 'No step finished yet.'), missing('samples-per-second', 'No step finished yet.')];
  const at = (f: (p: DashboardSnapshot['phases'][number]) => number): Point[] =>
    snap.phases.map((p) => [p.step + 1, f(p)]);
  const stepTime = lineChart({
    title: 'Step time, by phase',
    xLabel: 'step',
    yLabel: 'ms',
    x: { integer: true },
    y: { min: 0 },
    series: [
      { name: 'step', points: at((p) => p.totalMs), color: PALETTE[0] },
      { name: 'compute', points: at((p) => p.computeMs), color: PALETTE[1] },
      { name: 'wait', points: at((p) => p.waitMs), color: PALETTE[3] },
      { name: 'reduce+update', points: at((p) => p.reduceUpdateMs), color: PALETTE[2] },
    ],
    ...CHART,
  });
  const rate = lineChart({
    title: 'Samples per second',
    xLabel: 'step',
    yLabel: 'samples/s',
    x: { integer: true },
    y: { min: 0 },
    series: [{ name: 'per step', points: at((p) => p.samplesPerSecond) }],
    ...CHART,
  });
  return [
    figure(
      'step-time',
      stepTime,
      `The last ${snap.phases.length} steps: the whole step; the slowest source's compute and its wait (the link and queues: its wall time less its compute); summing and the optimizer update.`,
    ),
    figure('samples-per-second', rate),
  ];
}

function workerRows(rows: readonly WorkerRow[]): string {
  if (rows.length === 0) return missing('workers', 'No worker has computed yet.');
  const headers = [
    'worker',
    'kind',
    'threads',
    'backend',
    'samples/s',
    'compute ms',
    'wait ms',
    'bytes/step',
    'last seen',
    'state',
  ];
  const body = rows
    .map((w) => {
      const cells = [
        w.straggler ? `${w.label} (straggler)` : w.label,
        w.kind,
        String(w.threads),
        w.backend,
        formatNumber(Math.round(w.samplesPerSecond)),
        formatNumber(w.computeMs),
        formatNumber(w.waitMs),
        w.kind === 'thread' ? '– (shared memory)' : formatBytes(w.bytesPerStep),
        `${formatNumber(Math.round(w.lastSeenMsAgo / 100) / 10)} s ago`,
        w.state,
      ];
      const cls = [w.straggler ? 'straggler' : '', w.state === 'READY' ? '' : 'departed'].filter(Boolean).join(' ');
      return `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
    })
    .join('');
  const head = `<tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  return `<div data-table="workers"><table><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

function membershipLog(snap: DashboardSnapshot): string {
  if (snap.membership.length === 0) return missing('membership', 'No worker has joined or left yet.');
  const rows = [...snap.membership]
    .reverse()
    .map((e) => [new Date(e.atMs).toISOString().slice(11, 19), e.kind, e.text]);
  return `<div data-table="membership">${table(['time (UTC)', 'event', 'what happened'], rows)}</div>`;
}

/** The HTML of one dashboard view (sections for the page's `<main>`). */
export function renderDashboardView(snap: DashboardSnapshot): string {
  const section = (id: string, title: string, body: string, intro?: string): string =>
    `<section id="${id}"><h2>${escapeXml(title)}</h2>${intro ? `<p class="intro">${escapeXml(intro)}</p>` : ''}${body}</section>`;
  return [
    facts(snap),
    section('training', 'Training', figures(costChart(snap), accuracyChart(snap), ...phaseCharts(snap))),
    section(
      'workers',
      'Workers',
      workerRows(snap.workers),
      'Compute and wait are means over each worker’s last 20 results; a straggler computes well above the median (1.5×).',
    ),
    section('membership', 'Membership', membershipLog(snap)),
  ].join('\n');
}
