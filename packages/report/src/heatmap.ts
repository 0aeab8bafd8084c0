/**
 * Heatmaps of small matrices (the confusion matrix): one `<rect data-cell>` per entry coloured
 * on a white-to-blue ramp, the entry's number written in the cell, row and column labels, and
 * a colour bar explaining the ramp. Colour encodes the entry's share of its row (what fraction
 * of true class r went to column c) or of the largest entry; `gamma` < 1 lifts small shares so
 * off-diagonal mistakes stay visible next to a dominant diagonal.
 */
import { escapeXml, formatNumber, formatPercent, INK, px, svgRoot } from './svg.js';

export interface HeatmapOptions {
  readonly title: string;
  /** Title of the columns (below them) and of the rows (left of them). */
  readonly xLabel: string;
  readonly yLabel: string;
  /** Rows of equal length. */
  readonly values: readonly (readonly number[])[];
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  /** What the colour measures: share of the row total, or of the largest entry ['row']. */
  readonly normalise?: 'row' | 'max';
  /** Colour position = share^gamma [1]. */
  readonly gamma?: number;
  /** Title of the colour bar ['share of row' or 'share of max']. */
  readonly scaleLabel?: string;
  /** Cell text [formatNumber]. */
  readonly format?: (v: number) => string;
}

/** ColorBrewer "Blues", light to dark. */
const RAMP = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

/** The ramp's colour at t in [0, 1], interpolated in RGB. */
export function rampColor(t: number): string {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  const channel = (k: number): number =>
    Math.round(parseInt(a.slice(k, k + 2), 16) * (1 - f) + parseInt(b.slice(k, k + 2), 16) * f);
  return `#${[1, 3, 5].map((k) => channel(k).toString(16).padStart(2, '0')).join('')}`;
}

let gradientCount = 0;

/**
 * An SVG heatmap.
 * @returns `<svg>` markup with one `rect[data-cell]` per matrix entry
 */
export function heatmap(options: HeatmapOptions): string {
  const rows = options.values.length;
  const cols = Math.max(0, ...options.values.map((r) => r.length));
  const cell = Math.max(6, Math.min(42, Math.floor(440 / Math.max(1, rows, cols))));
  const left = 76;
  const top = 40;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const barX = left + gridW + 28;
  const width = barX + 80;
  const height = top + gridH + 58;
  const gamma = options.gamma ?? 1;
  const format = options.format ?? formatNumber;
  const normalise = options.normalise ?? 'row';
  const max = Math.max(0, ...options.values.flat().filter(Number.isFinite));
  const out: string[] = [
    `<text class="chart-title" x="12" y="20" font-size="15" font-weight="600" fill="${INK}">${escapeXml(options.title)}</text>`,
  ];
  options.values.forEach((row, r) => {
    const total = row.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const rowLabel = options.rowLabels?.[r] ?? String(r);
    out.push(
      `<text x="${left - 6}" y="${px(top + r * cell + cell / 2 + 4)}" font-size="11" text-anchor="end" fill="${INK}">${escapeXml(rowLabel)}</text>`,
    );
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      const share = !Number.isFinite(v) ? 0 : normalise === 'row' ? (total > 0 ? v / total : 0) : max > 0 ? v / max : 0;
      const t = share > 0 ? share ** gamma : 0;
      const x = left + c * cell;
      const y = top + r * cell;
      const colLabel = options.colLabels?.[c] ?? String(c);
      const tip = `${options.yLabel} ${rowLabel}, ${options.xLabel} ${colLabel}: ${format(v)} (${formatPercent(share)})`;
      out.push(
        `<rect data-cell="" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${rampColor(t)}" stroke="#fff" stroke-width="1"><title>${escapeXml(tip)}</title></rect>`,
      );
      if (cell >= 16) {
        const ink = t > 0.55 ? '#fff' : v === 0 ? '#b8b8b8' : INK;
        out.push(
          `<text x="${px(x + cell / 2)}" y="${px(y + cell / 2 + 4)}" font-size="${cell >= 30 ? 12 : 9}" text-anchor="middle" fill="${ink}" pointer-events="none">${escapeXml(Number.isFinite(v) ? format(v) : '–')}</text>`,
        );
      }
    }
  });
  for (let c = 0; c < cols; c++) {
    out.push(
      `<text x="${px(left + c * cell + cell / 2)}" y="${top + gridH + 16}" font-size="11" text-anchor="middle" fill="${INK}">${escapeXml(options.colLabels?.[c] ?? String(c))}</text>`,
    );
  }
  out.push(
    `<text x="${px(left + gridW / 2)}" y="${top + gridH + 40}" font-size="12" text-anchor="middle" fill="${INK}">${escapeXml(options.xLabel)}</text>`,
  );
  const cy = top + gridH / 2;
  out.push(
    `<text x="22" y="${px(cy)}" font-size="12" text-anchor="middle" fill="${INK}" transform="rotate(-90 22 ${px(cy)})">${escapeXml(options.yLabel)}</text>`,
  );
  // Colour bar: the ramp from 0 (bottom) to 1 (top), ticks at round shares placed by gamma.
  const id = `ramp-${++gradientCount}`;
  const stops = RAMP.map(
    (color, i) => `<stop offset="${px((i / (RAMP.length - 1)) * 100)}%" stop-color="${color}"/>`,
  ).join('');
  out.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`);
  out.push(
    `<rect class="colour-bar" x="${barX}" y="${top}" width="14" height="${gridH}" fill="url(#${id})" stroke="#ccc"/>`,
  );
  for (const share of gamma < 1 ? [0, 0.05, 0.25, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + gridH - share ** gamma * gridH;
    out.push(`<line x1="${barX + 14}" y1="${px(y)}" x2="${barX + 18}" y2="${px(y)}" stroke="${INK}"/>`);
    out.push(`<text x="${barX + 21}" y="${px(y + 4)}" font-size="10" fill="${INK}">${formatPercent(share, 0)}</text>`);
  }
  const scaleLabel = options.scaleLabel ?? (normalise === 'row' ? 'share of row' : 'share of max');
  const sy = top + gridH / 2;
  out.push(
    `<text x="${barX + 66}" y="${px(sy)}" font-size="11" text-anchor="middle" fill="${INK}" transform="rotate(90 ${barX + 66} ${px(sy)})">${escapeXml(scaleLabel)}</text>`,
  );
  return svgRoot(width, height, options.title, out.join(''));
}
