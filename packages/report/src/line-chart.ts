/**
 * Line charts: one `<polyline data-series>` per run of finite points of each series (a NaN
 * point breaks the line), optional `<circle>` markers, dashed reference lines, a legend and
 * axes with nice ticks. Long series are thinned to at most `maxPoints` per series, keeping
 * each bucket's lowest and highest value so spikes stay visible.
 */
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  decadeTicks,
  drawAxes,
  drawLegend,
  drawTitle,
  escapeXml,
  formatNumber,
  makeFrame,
  niceTicks,
  powerOfTwoTicks,
  px,
  scale,
  seriesColor,
  svgRoot,
  type LegendItem,
} from './svg.js';

export type Point = readonly [number, number];

export interface LineSeries {
  readonly name: string;
  readonly points: readonly Point[];
  /** [PALETTE colour by position] */
  readonly color?: string;
  /** Draw dashed, e.g. an ideal or reference line [false]. */
  readonly dashed?: boolean;
  /** A circle on every point [false]. */
  readonly markers?: boolean;
  /** Line width in px [2]. */
  readonly strokeWidth?: number;
  /** Line opacity [1]. */
  readonly opacity?: number;
  /** Listed in the legend [true]. */
  readonly legend?: boolean;
}

export interface AxisOptions {
  /** Range ends; by default the data's range widened to nice ticks. */
  readonly min?: number;
  readonly max?: number;
  /** Tick labels [formatNumber]. */
  readonly format?: (v: number) => string;
  /** Only whole-number ticks (epochs, workers) [false]. */
  readonly integer?: boolean;
  /** Log scale with power-of-two ticks (x axis only; worker counts) [false]. */
  readonly log2?: boolean;
  /** Log scale with 1-2-5 decade ticks (y axis only; costs); points ≤ 0 are left out [false]. */
  readonly log10?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly x?: AxisOptions;
  readonly y?: AxisOptions;
  /** [CHART_WIDTH] */
  readonly width?: number;
  /** [CHART_HEIGHT] */
  readonly height?: number;
  /** Most points drawn per series [2000]. */
  readonly maxPoints?: number;
}

/** Numbers the clip paths of one page apart (ids must be unique in a document). */
let clipCount = 0;

/** At most `max` points of `points` (finite ones only): each bucket's min and max, in x order. */
export function thinPoints(points: readonly Point[], max: number): Point[] {
  const kept = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (kept.length <= max || max < 4) return points.slice();
  const buckets = Math.floor(max / 2);
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * kept.length) / buckets);
    const to = Math.floor(((b + 1) * kept.length) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (kept[i][1] < kept[lo][1]) lo = i;
      if (kept[i][1] > kept[hi][1]) hi = i;
    }
    if (lo === hi) out.push(kept[lo]);
    else out.push(kept[Math.min(lo, hi)], kept[Math.max(lo, hi)]);
  }
  return out;
}

/** Runs of consecutive finite points. */
function segments(points: readonly Point[]): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) run.push(p);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

function axisRange(values: number[], axis: AxisOptions | undefined): { ticks: number[]; min: number; max: number } {
  const finiteValues = values.filter((v) => Number.isFinite(v) && (!axis?.log10 || v > 0));
  const lo = axis?.min ?? (finiteValues.length ? Math.min(...finiteValues) : 0);
  const hi = axis?.max ?? (finiteValues.length ? Math.max(...finiteValues) : 1);
  const nice = axis?.log2 ? powerOfTwoTicks(lo, hi) : axis?.log10 ? decadeTicks(lo, hi) : niceTicks(lo, hi, 6);
  const min = axis?.min ?? nice.min;
  const max = axis?.max ?? nice.max;
  let ticks = nice.ticks.filter((t) => t >= min - 1e-9 && t <= max + 1e-9);
  if (axis?.integer) ticks = ticks.filter((t) => Number.isInteger(t));
  // Many integer ticks (e.g. 40 epochs): keep about eight.
  if (ticks.length > 12) ticks = ticks.filter((_, i) => i % Math.ceil(ticks.length / 8) === 0);
  return { ticks, min, max };
}

/**
 * An SVG line chart.
 * @returns `<svg>` markup: one `polyline[data-series]` per finite run of each series
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? CHART_WIDTH;
  const height = options.height ?? CHART_HEIGHT;
  const frame = makeFrame(width, height);
  const yLog = options.y?.log10 === true;
  // On a log axis a point ≤ 0 has no place: it becomes a gap, as a NaN does.
  const visible = (points: readonly Point[]): readonly Point[] =>
    yLog ? points.map(([x, y]): Point => [x, y > 0 ? y : NaN]) : points;
  const series = options.series.map((s, i) => ({
    ...s,
    color: s.color ?? seriesColor(i),
    points: thinPoints(visible(s.points), options.maxPoints ?? 2000),
  }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xr = axisRange(xs, options.x);
  const yr = axisRange(ys, options.y);
  const log2 = options.x?.log2 === true;
  const sx = scale(xr.min, xr.max, frame.left, frame.right, log2);
  const sy = scale(yr.min, yr.max, frame.bottom, frame.top, yLog);
  const xFormat = options.x?.format ?? formatNumber;
  const yFormat = options.y?.format ?? formatNumber;
  const body: string[] = [drawTitle(frame, options.title)];
  body.push(
    drawAxes(frame, {
      xTicks: xr.ticks.map((t) => ({ at: sx(t), label: xFormat(t) })),
      yTicks: yr.ticks.map((t) => ({ at: sy(t), label: yFormat(t) })),
      xLabel: options.xLabel,
      yLabel: options.yLabel,
      xGrid: log2,
    }),
  );
  const clipId = `clip-${++clipCount}`;
  body.push(
    `<clipPath id="${clipId}"><rect x="${px(frame.left - 4)}" y="${px(frame.top - 4)}" width="${px(frame.right - frame.left + 8)}" height="${px(frame.bottom - frame.top + 8)}"/></clipPath>`,
  );
  body.push(`<g clip-path="url(#${clipId})">`);
  for (const s of series) {
    const stroke = `stroke="${s.color}" stroke-width="${s.strokeWidth ?? 2}" fill="none" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}`;
    for (const run of segments(s.points)) {
      const coords = run.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(' ');
      body.push(`<polyline data-series="${escapeXml(s.name)}" points="${coords}" ${stroke}/>`);
    }
    if (s.markers) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        body.push(
          `<circle data-series="${escapeXml(s.name)}" cx="${px(sx(x))}" cy="${px(sy(y))}" r="3.5" fill="#fff" stroke="${s.color}" stroke-width="2"><title>${escapeXml(`${s.name}: ${xFormat(x)}, ${yFormat(y)}`)}</title></circle>`,
        );
      }
    }
  }
  body.push('</g>');
  const legend: LegendItem[] = series
    .filter((s) => s.legend !== false)
    .map((s) => ({ name: s.name, color: s.color, shape: s.dashed ? 'dashed' : 'line' }));
  body.push(drawLegend(frame, legend));
  return svgRoot(width, height, options.title, body.join(''));
}
