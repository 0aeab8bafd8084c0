/**
 * SVG building blocks shared by the report's charts: escaping, the palette, number formats,
 * "nice" tick values, and the frame every chart draws into (title, legend row, plot area, axes
 * with ticks, grid lines and axis titles). Charts are plain strings of inline SVG: no script,
 * no external resource, no `xmlns` needed inside an HTML page.
 *
 * Frame layout (pixels, y down):
 *   [title ............................................ legend]   top margin
 *   [y tick labels | plot area (grid, series)                 ]
 *   [              | x tick labels, x axis title              ]   bottom margin
 */

/** One colour per series, in order (Tableau 10: distinct, readable on white, colour-blind aware). */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;
/** Ink for axes, ticks and labels. */
export const INK = '#333';
/** Grid lines and other quiet reference marks. */
export const GRID = '#e3e3e3';
/** Reference lines such as the ideal speedup. */
export const REFERENCE = '#888';

/** The colour of the `i`-th series. */
export function seriesColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A finite number, or NaN for anything else (JSON writes NaN and ±Infinity as null). */
export function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/** Rounds a coordinate to 0.01 px: enough for any screen, and short in the markup. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A number with 3 significant digits and a k/M/G suffix from 10 000 up: 0.0123, 12.3, 45.6k. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a === 0) return '0';
  return a >= 1 ? trim(v) : String(Number(v.toPrecision(3)));
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** A fraction as a percentage: 0.9612 → "96.1%". */
export function formatPercent(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '–';
}

/** Bytes in B, KB, MB or GB (powers of 1000, as network rates are quoted). */
export function formatBytes(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)} GB`;
  if (a >= 1e6) return `${trim(v / 1e6)} MB`;
  if (a >= 1e3) return `${trim(v / 1e3)} KB`;
  return `${Math.round(v)} B`;
}

/**
 * About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max], and the
 * widened range they span.
 */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; min: number; max: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [0, 1], min: 0, max: 1 };
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { ticks, min: lo, max: hi };
}

/** Powers of two covering [min, max] (min > 0), for worker counts on a log axis. */
export function powerOfTwoTicks(min: number, max: number): { ticks: number[]; min: number; max: number } {
  const lo = 2 ** Math.floor(Math.log2(Math.max(min, 1e-9)));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(max, lo * 2)));
  const ticks: number[] = [];
  for (let t = lo; t <= hi; t *= 2) ticks.push(t);
  return { ticks, min: lo, max: hi };
}

/** 1, 2 and 5 × 10^k covering [min, max] (min > 0), for a log-scale cost axis; fewer per decade over many decades. */
export function decadeTicks(min: number, max: number): { ticks: number[]; min: number; max: number } {
  const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-12)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const decades = Math.round(Math.log10(hi / lo));
  const steps = decades > 3 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d++)
    for (const m of steps) if (m === 1 || d < decades) ticks.push(Number((lo * 10 ** d * m).toPrecision(12)));
  return { ticks, min: lo, max: hi };
}

/** A tick: its pixel position along the axis, and its text. */
export interface Tick {
  readonly at: number;
  readonly label: string;
}

export interface LegendItem {
  readonly name: string;
  readonly color: string;
  /** How the swatch is drawn: a line (optionally dashed) or a filled box ['box']. */
  readonly shape?: 'line' | 'dashed' | 'box';
}

/** Where a chart draws: its size and its plot area. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Default chart size, pixels. */
export const CHART_WIDTH = 600;
export const CHART_HEIGHT = 340;

/** The frame of a chart of the given size, with room for title, legend, tick labels and axis titles. */
export function makeFrame(
  width = CHART_WIDTH,
  height = CHART_HEIGHT,
  margin: Partial<{ left: number; top: number; right: number; bottom: number }> = {},
): Frame {
  const m = { left: 68, top: 58, right: 24, bottom: 54, ...margin };
  return { width, height, left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
}

/** Maps [d0, d1] onto pixels [r0, r1] linearly (or logarithmically when `log`; any base gives the same map). */
export function scale(d0: number, d1: number, r0: number, r1: number, log = false): (v: number) => number {
  const f = log ? Math.log2 : (v: number) => v;
  const a = f(d0);
  const span = f(d1) - a || 1;
  return (v) => r0 + ((f(v) - a) / span) * (r1 - r0);
}

/** The chart's title, top left. */
export function drawTitle(frame: Frame, title: string): string {
  return `<text class="chart-title" x="${px(frame.left - 56)}" y="20" font-size="15" font-weight="600" fill="${INK}">${escapeXml(title)}</text>`;
}

/** One row of legend swatches and names, right-aligned above the plot area. */
export function drawLegend(frame: Frame, items: readonly LegendItem[]): string {
  if (items.length === 0) return '';
  const widths = items.map((it) => 26 + it.name.length * 6.6 + 14);
  let x = Math.max(frame.left, frame.right - widths.reduce((a, b) => a + b, 0));
  const y = 40;
  const parts = items.map((it, i) => {
    const swatch =
      (it.shape ?? 'box') === 'box'
        ? `<rect x="${px(x)}" y="${y - 9}" width="14" height="11" rx="2" fill="${it.color}"/>`
        : `<line x1="${px(x)}" y1="${y - 4}" x2="${px(x + 20)}" y2="${y - 4}" stroke="${it.color}" stroke-width="2.5"${it.shape === 'dashed' ? ' stroke-dasharray="5 3"' : ''}/>`;
    const text = `<text x="${px(x + 26)}" y="${y}" font-size="12" fill="${INK}">${escapeXml(it.name)}</text>`;
    x += widths[i];
    return swatch + text;
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

/**
 * Axes of a plot area: horizontal grid lines at the y ticks (and vertical ones at the x ticks
 * when `xGrid`), the axis lines, tick labels and axis titles.
 */
export function drawAxes(
  frame: Frame,
  axes: { xTicks: readonly Tick[]; yTicks: readonly Tick[]; xLabel: string; yLabel: string; xGrid?: boolean },
): string {
  const { left, right, top, bottom } = frame;
  const out: string[] = ['<g class="axes">'];
  for (const t of axes.yTicks) {
    out.push(`<line x1="${px(left)}" y1="${px(t.at)}" x2="${px(right)}" y2="${px(t.at)}" stroke="${GRID}"/>`);
    out.push(
      `<text x="${px(left - 8)}" y="${px(t.at + 4)}" font-size="11" text-anchor="end" fill="${INK}">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of axes.xTicks) {
    if (axes.xGrid)
      out.push(`<line x1="${px(t.at)}" y1="${px(top)}" x2="${px(t.at)}" y2="${px(bottom)}" stroke="${GRID}"/>`);
    out.push(`<line x1="${px(t.at)}" y1="${px(bottom)}" x2="${px(t.at)}" y2="${px(bottom + 5)}" stroke="${INK}"/>`);
    out.push(
      `<text x="${px(t.at)}" y="${px(bottom + 18)}" font-size="11" text-anchor="middle" fill="${INK}">${escapeXml(t.label)}</text>`,
    );
  }
  out.push(`<line x1="${px(left)}" y1="${px(bottom)}" x2="${px(right)}" y2="${px(bottom)}" stroke="${INK}"/>`);
  out.push(`<line x1="${px(left)}" y1="${px(top)}" x2="${px(left)}" y2="${px(bottom)}" stroke="${INK}"/>`);
  out.push(
    `<text x="${px((left + right) / 2)}" y="${px(frame.height - 10)}" font-size="12" text-anchor="middle" fill="${INK}">${escapeXml(axes.xLabel)}</text>`,
  );
  const cy = (top + bottom) / 2;
  out.push(
    `<text x="16" y="${px(cy)}" font-size="12" text-anchor="middle" fill="${INK}" transform="rotate(-90 16 ${px(cy)})">${escapeXml(axes.yLabel)}</text>`,
  );
  out.push('</g>');
  return out.join('');
}

/** Wraps chart markup in an `<svg>` of the frame's size, scalable down to the page width. */
export function svgRoot(width: number, height: number, label: string, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-label="${escapeXml(label)}">${body}</svg>`;
}

/** A placeholder where a chart has no data: same frame, a centred note. */
export function emptyChart(title: string, note: string, width = CHART_WIDTH, height = 120): string {
  const frame = makeFrame(width, height);
  return svgRoot(
    width,
    height,
    title,
    `${drawTitle(frame, title)}<text x="${px(width / 2)}" y="${px(height / 2 + 10)}" font-size="13" text-anchor="middle" fill="${REFERENCE}">${escapeXml(note)}</text>`,
  );
}
