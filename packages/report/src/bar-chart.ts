/**
 * Bar charts over categories (worker counts): grouped (one bar per series side by side) or
 * stacked (series on top of each other, the stack's total written above it). Every bar is one
 * `<rect data-bar>` carrying its series and category, with a hover title giving the value.
 * Values are non-negative quantities (times, bytes); a negative or missing value draws nothing.
 */
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  drawAxes,
  drawLegend,
  drawTitle,
  escapeXml,
  formatNumber,
  INK,
  makeFrame,
  niceTicks,
  px,
  scale,
  seriesColor,
  svgRoot,
} from './svg.js';

export interface BarSeries {
  readonly name: string;
  /** One value per category. */
  readonly values: readonly number[];
  /** [PALETTE colour by position] */
  readonly color?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /** Stack the series instead of grouping them [false]. */
  readonly stacked?: boolean;
  /** Write each stack's total (stacked) or each bar's value (grouped) above it [true]. */
  readonly labels?: boolean;
  /** Tick and value labels [formatNumber]. */
  readonly format?: (v: number) => string;
  /** [CHART_WIDTH] */
  readonly width?: number;
  /** [CHART_HEIGHT] */
  readonly height?: number;
}

const value = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * An SVG bar chart.
 * @returns `<svg>` markup with one `rect[data-bar]` per drawn (series, category) value
 */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? CHART_WIDTH;
  const height = options.height ?? CHART_HEIGHT;
  const frame = makeFrame(width, height);
  const format = options.format ?? formatNumber;
  const cats = options.categories;
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? seriesColor(i) }));
  const tops = cats.map((_, c) =>
    options.stacked
      ? series.reduce((sum, s) => sum + value(s.values[c]), 0)
      : Math.max(0, ...series.map((s) => value(s.values[c]))),
  );
  // 8% headroom for the value labels above the tallest bar.
  const nice = niceTicks(0, (Math.max(0, ...tops) || 1) * (options.labels === false ? 1 : 1.08), 5);
  const sy = scale(0, nice.max, frame.bottom, frame.top);
  const band = (frame.right - frame.left) / Math.max(1, cats.length);
  const groupWidth = Math.min(band * 0.72, options.stacked ? 90 : 60 * Math.max(1, series.length));
  const barWidth = options.stacked ? groupWidth : groupWidth / Math.max(1, series.length);
  const center = (c: number): number => frame.left + band * (c + 0.5);
  const body: string[] = [drawTitle(frame, options.title)];
  body.push(
    drawAxes(frame, {
      xTicks: cats.map((name, c) => ({ at: center(c), label: name })),
      yTicks: nice.ticks.map((t) => ({ at: sy(t), label: format(t) })),
      xLabel: options.xLabel,
      yLabel: options.yLabel,
    }),
  );
  const labels: string[] = [];
  cats.forEach((cat, c) => {
    let base = 0;
    series.forEach((s, i) => {
      const v = value(s.values[c]);
      const x = options.stacked ? center(c) - groupWidth / 2 : center(c) - groupWidth / 2 + i * barWidth;
      const y0 = sy(options.stacked ? base : 0);
      const y1 = sy((options.stacked ? base : 0) + v);
      if (v > 0) {
        const title = `${s.name}, ${cat}: ${format(v)}`;
        body.push(
          `<rect data-bar="" data-series="${escapeXml(s.name)}" data-category="${escapeXml(cat)}" x="${px(x + (options.stacked ? 0 : 1))}" y="${px(y1)}" width="${px(Math.max(1, barWidth - (options.stacked ? 0 : 2)))}" height="${px(Math.max(0, y0 - y1))}" fill="${s.color}"><title>${escapeXml(title)}</title></rect>`,
        );
        if (!options.stacked && options.labels !== false && series.length <= 3 && cats.length * series.length <= 24) {
          labels.push(
            `<text x="${px(x + barWidth / 2)}" y="${px(y1 - 4)}" font-size="10" text-anchor="middle" fill="${INK}">${escapeXml(format(v))}</text>`,
          );
        }
      }
      if (options.stacked) base += v;
    });
    if (options.stacked && options.labels !== false && base > 0) {
      labels.push(
        `<text x="${px(center(c))}" y="${px(sy(base) - 5)}" font-size="11" text-anchor="middle" fill="${INK}">${escapeXml(format(base))}</text>`,
      );
    }
  });
  body.push(...labels);
  body.push(
    drawLegend(
      frame,
      series.map((s) => ({ name: s.name, color: s.color, shape: 'box' })),
    ),
  );
  return svgRoot(width, height, options.title, body.join(''));
}
