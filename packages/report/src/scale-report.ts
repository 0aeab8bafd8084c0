/**
 * The scale report: one HTML page built from the JSON line of `bench scale --json`, written by
 * its `--report FILE.html` and by `gradswarm report BENCH.json`.
 *
 * Charts, each in a `[data-chart]` figure:
 *   speedup      measured speedup against workers, one line per threads-per-worker, and the
 *                ideal line y = x
 *   efficiency   speedup / workers, with 100% marked
 *   step-time    stacked bars per configuration: compute (slowest worker), reduce + update,
 *                communication (and "other" if the parts fall short of the total)
 *   bytes        the coordinator's bytes sent and received per step
 *   projection   modelled parallel efficiency by link speed, batch split and batch per worker
 *                (only when the document has `projection`)
 *   synthetic    coordinator steps/s against synthetic clients (only with `synthetic`)
 * followed by a table of the measurements (with a CPU quota also undilated: as on the emulated
 * machines). Rows of several series (weak/strong scaling, topologies) get a line each. Missing
 * optional parts are left out.
 */
import { barChart } from './bar-chart.js';
import { figure, figures, missing, renderPage, table, type PageSection } from './html.js';
import { lineChart, type LineSeries, type Point } from './line-chart.js';
import { finite, formatBytes, formatNumber, formatPercent, niceTicks, REFERENCE, seriesColor } from './svg.js';
import type { ScaleBenchDocument, ScaleBenchResult } from './types.js';

const list = <T>(v: unknown): T[] =>
  Array.isArray(v) ? (v as T[]).filter((x) => x !== null && typeof x === 'object') : [];
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const seriesName = (r: ScaleBenchResult): string => (typeof r.series === 'string' ? r.series : '');

/** Category names of the results: the worker count, plus series and threads where counts repeat. */
function categories(results: readonly ScaleBenchResult[]): string[] {
  const repeated = new Set(results.map((r) => r.workers)).size < results.length;
  const threads = new Set(results.map((r) => r.threads)).size > 1;
  return results.map((r) => {
    if (!repeated) return String(r.workers);
    const s = seriesName(r);
    return `${s ? `${s} ` : ''}${r.workers}${threads || !s ? `×${r.threads}t` : ''}`;
  });
}

/** The results grouped by series and threads per worker, each group ordered by workers. */
function byThreads(results: readonly ScaleBenchResult[]): [string, ScaleBenchResult[]][] {
  const groups = new Map<string, ScaleBenchResult[]>();
  const threads = new Set(results.map((r) => r.threads)).size > 1;
  for (const r of results) {
    const s = seriesName(r);
    const key = [s, threads || !s ? `${plural(r.threads, 'thread')} per worker` : ''].filter(Boolean).join(', ');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([t, rs]) => [t, rs.sort((a, b) => a.workers - b.workers)]);
}

function scalingCharts(results: readonly ScaleBenchResult[]): string[] {
  const groups = byThreads(results);
  const label = (t: string): string => (groups.length > 1 ? `measured, ${t}` : 'measured');
  const maxWorkers = Math.max(1, ...results.map((r) => finite(r.workers)).filter(Number.isFinite));
  const speedups = results.map((r) => finite(r.speedup)).filter(Number.isFinite);
  const speedup: LineSeries[] = groups.map(([t, rs], i) => ({
    name: label(t),
    points: rs.map((r): Point => [finite(r.workers), finite(r.speedup)]),
    markers: true,
    color: seriesColor(i),
  }));
  speedup.push({
    name: 'ideal (speedup = workers)',
    points: [
      [0, 0],
      [maxWorkers, maxWorkers],
    ],
    dashed: true,
    color: REFERENCE,
    strokeWidth: 1.5,
  });
  const efficiency: LineSeries[] = groups.map(([t, rs], i) => ({
    name: label(t),
    points: rs.map((r): Point => [finite(r.workers), finite(r.efficiency)]),
    markers: true,
    color: seriesColor(i),
  }));
  efficiency.push({
    name: 'ideal (100%)',
    points: [
      [0, 1],
      [maxWorkers, 1],
    ],
    dashed: true,
    color: REFERENCE,
    strokeWidth: 1.5,
  });
  const topEfficiency = niceTicks(
    0,
    Math.max(1.1, ...results.map((r) => finite(r.efficiency)).filter(Number.isFinite)),
    5,
  ).max;
  return [
    figure(
      'speedup',
      lineChart({
        title: 'Speedup against workers',
        xLabel: 'workers',
        yLabel: 'speedup (× one worker)',
        x: { min: 0, max: maxWorkers, integer: true },
        y: { min: 0, max: Math.ceil(Math.max(maxWorkers, ...speedups)) },
        series: speedup,
      }),
      'Samples/s relative to one worker; the dashed line is perfect scaling.',
    ),
    figure(
      'efficiency',
      lineChart({
        title: 'Parallel efficiency',
        xLabel: 'workers',
        yLabel: 'efficiency (speedup / workers)',
        x: { min: 0, max: maxWorkers, integer: true },
        y: { min: 0, max: topEfficiency, format: (v) => formatPercent(v, 0) },
        series: efficiency,
      }),
      'How much of each added worker turns into throughput.',
    ),
  ];
}

function stepTimeChart(results: readonly ScaleBenchResult[]): string {
  const step = results.map((r) => r.stepMs ?? ({} as Partial<ScaleBenchResult['stepMs']>));
  const part = (key: 'computeMaxMs' | 'reduceUpdateMs' | 'communicationMs'): number[] =>
    step.map((s) => Math.max(0, finite(s[key]) || 0));
  const compute = part('computeMaxMs');
  const reduce = part('reduceUpdateMs');
  const comm = part('communicationMs');
  // The parts should sum to the total; show any remainder rather than hide it.
  const other = step.map((s, i) => {
    const rest = finite(s.totalMs) - compute[i] - reduce[i] - comm[i];
    return rest > 0.01 * finite(s.totalMs) ? rest : 0;
  });
  const series = [
    { name: 'compute (slowest worker)', values: compute },
    { name: 'reduce + update', values: reduce },
    { name: 'communication', values: comm },
  ];
  if (other.some((v) => v > 0)) series.push({ name: 'other', values: other });
  const means = step.map((s) => finite(s.computeMeanMs));
  const meanNote = means.some(Number.isFinite)
    ? ` Mean compute per worker: ${means.map((m) => (Number.isFinite(m) ? `${formatNumber(m)} ms` : '–')).join(', ')}.`
    : '';
  return figure(
    'step-time',
    barChart({
      title: 'Where a step’s time goes',
      xLabel: 'workers',
      yLabel: 'ms per step',
      categories: categories(results),
      series,
      stacked: true,
      format: (v) => formatNumber(v),
    }),
    `Mean time of one step, stacked; the number on top is the total.${meanNote}`,
  );
}

function bytesChart(results: readonly ScaleBenchResult[]): string {
  const bytes = results.map((r) => r.bytesPerStep ?? ({} as Partial<ScaleBenchResult['bytesPerStep']>));
  return figure(
    'bytes',
    barChart({
      title: 'Coordinator traffic per step',
      xLabel: 'workers',
      yLabel: 'bytes per step',
      categories: categories(results),
      series: [
        { name: 'sent (weights out)', values: bytes.map((b) => finite(b.sent)) },
        { name: 'received (gradients in)', values: bytes.map((b) => finite(b.received)) },
      ],
      format: formatBytes,
    }),
    'Bytes the coordinator sends and receives per step, all workers together.',
  );
}

function projectionChart(doc: ScaleBenchDocument): string {
  type Row = NonNullable<ScaleBenchDocument['projection']>[number];
  // Efficiency, not samples/s: the ideal is the same 100% line at every size, and the two
  // batch regimes (one batch split over the workers; a batch per worker) fit on one axis.
  const regimes: [string, Row[], boolean][] = [
    ['', list<Row>(doc.projection), false],
    [', per worker', list<Row>(doc.projectionPerWorkerBatch), true],
  ];
  const series: LineSeries[] = [];
  const workers: number[] = [];
  for (const [regime, rows, dashed] of regimes) {
    const links = [...new Set(rows.map((r) => finite(r.linkGbit)).filter(Number.isFinite))].sort((a, b) => a - b);
    links.forEach((link, i) => {
      const points = rows
        .filter((r) => r.linkGbit === link)
        .sort((a, b) => a.workers - b.workers)
        .map((r): Point => [finite(r.workers), finite(r.efficiency)]);
      workers.push(...points.map((p) => p[0]).filter((w) => w > 0));
      series.push({
        name: `${formatNumber(link)} Gbit/s${regime}`,
        points,
        markers: true,
        dashed,
        color: seriesColor(i),
      });
    });
  }
  const lo = Math.min(...workers);
  const hi = Math.max(...workers);
  const log2 = hi / Math.max(lo, 1) >= 8;
  const top = niceTicks(
    0,
    Math.max(0.1, ...series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite)),
    5,
  ).max;
  return figure(
    'projection',
    lineChart({
      title: 'Projected parallel efficiency by link speed',
      xLabel: log2 ? 'workers (log scale)' : 'workers',
      yLabel: 'efficiency (× one worker, per worker)',
      x: { log2, integer: true },
      y: { min: 0, max: top, format: (v) => formatPercent(v, 0) },
      series,
    }),
    `A PROJECTION, not a measurement: the α–β model fitted to these runs, one worker per machine, all traffic through the coordinator’s link. Solid: one batch of ${doc.batchSize ?? '?'} split over the workers; dashed: ${doc.batchSize ?? '?'} samples per worker.`,
  );
}

function syntheticChart(doc: ScaleBenchDocument): string {
  const rows = list<NonNullable<ScaleBenchDocument['synthetic']>[number]>(doc.synthetic);
  const sizes = [...new Set(rows.map((r) => finite(r.parameters)).filter(Number.isFinite))].sort((a, b) => a - b);
  const series: LineSeries[] = sizes.map((p, i) => ({
    name: `${formatNumber(p)} parameters`,
    points: rows
      .filter((r) => r.parameters === p)
      .sort((a, b) => a.clients - b.clients)
      .map((r): Point => [finite(r.clients), finite(r.stepsPerSecond)]),
    markers: true,
    color: seriesColor(i),
  }));
  return figure(
    'synthetic',
    lineChart({
      title: 'Coordinator alone: steps/s with synthetic clients',
      xLabel: 'clients',
      yLabel: 'steps/s',
      x: { integer: true },
      y: { min: 0 },
      series,
    }),
    'Clients that answer instantly: what the coordinator’s own loop sustains.',
  );
}

function resultsTable(results: readonly ScaleBenchResult[]): string {
  const ms = (v: unknown): string => (Number.isFinite(finite(v)) ? finite(v).toFixed(2) : '–');
  const int = (v: unknown): string =>
    Number.isFinite(finite(v)) ? Math.round(finite(v)).toLocaleString('en-US') : '–';
  const series = results.some((r) => seriesName(r) !== '');
  const undilated = results.some((r) => r.undilated !== undefined);
  const vsTrain = results.some((r) => r.efficiencyVsTrain !== undefined);
  return table(
    [
      ...(series ? ['series'] : []),
      'workers',
      'threads',
      'samples/s',
      'speedup',
      'efficiency',
      'step ms',
      'compute max',
      'compute mean',
      'reduce + update',
      'communication',
      'sent/step',
      'received/step',
      ...(undilated ? ['undilated samples/s', 'undilated step ms'] : []),
      ...(vsTrain ? ['efficiency vs train'] : []),
    ],
    results.map((r) => [
      ...(series ? [seriesName(r)] : []),
      String(r.workers),
      String(r.threads),
      Number.isFinite(finite(r.samplesPerSecond)) ? Math.round(r.samplesPerSecond).toLocaleString('en-US') : '–',
      Number.isFinite(finite(r.speedup)) ? `${r.speedup.toFixed(2)}×` : '–',
      formatPercent(finite(r.efficiency), 0),
      ms(r.stepMs?.totalMs),
      ms(r.stepMs?.computeMaxMs),
      ms(r.stepMs?.computeMeanMs),
      ms(r.stepMs?.reduceUpdateMs),
      ms(r.stepMs?.communicationMs),
      formatBytes(finite(r.bytesPerStep?.sent)),
      formatBytes(finite(r.bytesPerStep?.received)),
      ...(undilated ? [int(r.undilated?.samplesPerSecond), ms(r.undilated?.stepMs?.totalMs)] : []),
      ...(vsTrain ? [formatPercent(finite(r.efficiencyVsTrain), 0)] : []),
    ]),
  );
}

/**
 * Renders the scale report of a `bench scale` document.
 * @param doc the benchmark's JSON; `singleNode`, `projection` and `synthetic` are optional
 * @returns a self-contained HTML page
 */
export function renderScaleReport(doc: ScaleBenchDocument): string {
  const results = list<ScaleBenchResult>(doc.results)
    .filter((r) => Number.isFinite(finite(r.workers)))
    .sort((a, b) => seriesName(a).localeCompare(seriesName(b)) || a.workers - b.workers || a.threads - b.threads);
  const best = results.reduce<ScaleBenchResult | null>(
    (b, r) => (b === null || finite(r.samplesPerSecond) > finite(b.samplesPerSecond) ? r : b),
    null,
  );
  const single = doc.singleNode;
  const facts: [string, string][] = [
    ['network', String(doc.network ?? '–')],
    ['batch size', String(doc.batchSize ?? '–')],
    ['threads per worker', String(doc.threadsPerWorker ?? '–')],
    ['configurations', String(results.length)],
  ];
  if (typeof doc.link === 'string')
    facts.push([
      'link',
      doc.link.startsWith('loopback') ? 'loopback' : (/shaped by ([^(]+)/.exec(doc.link)?.[1]?.trim() ?? doc.link),
    ]);
  const dilation = finite(doc.dilation);
  if (Number.isFinite(finite(doc.cpuPerWorker)) && Number.isFinite(dilation))
    facts.push(
      ['CPU per process', `${finite(doc.cpuPerWorker)} cores (cgroup)`],
      [
        'dilation',
        `${dilation.toFixed(2)}× slower than the emulated machines (undilated = measured time / ${dilation.toFixed(2)})`,
      ],
    );
  if (best)
    facts.push(
      [
        'best samples/s',
        `${Math.round(finite(best.samplesPerSecond)).toLocaleString('en-US')} (${plural(best.workers, 'worker')})`,
      ],
      ['its speedup', `${finite(best.speedup).toFixed(2)}×`],
    );
  if (single && Number.isFinite(finite(single.samplesPerSecond)))
    facts.push([
      'single node',
      `${Math.round(single.samplesPerSecond).toLocaleString('en-US')} samples/s (${plural(single.threads, 'thread')})`,
    ]);
  const sections: PageSection[] = results.length
    ? [
        {
          id: 'scaling',
          title: 'Scaling',
          intro: 'Throughput as workers join, against perfect linear scaling.',
          body: figures(...scalingCharts(results)),
        },
        {
          id: 'step',
          title: 'Step time and traffic',
          intro:
            'What a step costs at each size: the slowest worker’s compute, the coordinator’s reduce and update, and time on the wire.',
          body: figures(stepTimeChart(results), bytesChart(results)),
        },
      ]
    : [{ id: 'scaling', title: 'Scaling', body: missing('speedup', 'The document holds no results.') }];
  const hasProjection = list(doc.projection).length > 0;
  const hasSynthetic = list(doc.synthetic).length > 0;
  if (hasProjection || hasSynthetic) {
    sections.push({
      id: 'projection',
      title:
        hasProjection && hasSynthetic
          ? 'Projection and coordinator throughput'
          : hasProjection
            ? 'Projection'
            : 'Coordinator throughput',
      intro:
        `${hasProjection ? 'Expected throughput for more workers and other link speeds. ' : ''}${hasSynthetic ? 'The coordinator’s own ceiling, measured with synthetic clients.' : ''}`.trim(),
      body: figures(...(hasProjection ? [projectionChart(doc)] : []), ...(hasSynthetic ? [syntheticChart(doc)] : [])),
    });
  }
  if (results.length) sections.push({ id: 'results', title: 'Measurements', body: resultsTable(results) });
  return renderPage({
    title: 'gradswarm scale benchmark',
    subtitle: `${doc.network ?? 'network ?'}, batch ${doc.batchSize ?? '?'}, ${plural(finite(doc.threadsPerWorker) || 0, 'thread')} per worker`,
    facts,
    sections,
  });
}
