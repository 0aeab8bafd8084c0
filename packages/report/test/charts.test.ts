import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { barChart } from '../src/bar-chart.js';
import { heatmap, rampColor } from '../src/heatmap.js';
import { imageGrid } from '../src/image-grid.js';
import { lineChart, thinPoints, type Point } from '../src/line-chart.js';
import { movingAverage } from '../src/moving-average.js';
import { decadeTicks, escapeXml, formatBytes, formatNumber, niceTicks, powerOfTwoTicks } from '../src/svg.js';

const count = (svg: string, re: RegExp): number => (svg.match(re) ?? []).length;
/** The coordinate pairs of every polyline of a series. */
const polylinePoints = (svg: string, series: string): string[][] =>
  [...svg.matchAll(new RegExp(`<polyline data-series="${series}" points="([^"]*)"`, 'g'))].map((m) => m[1].split(' '));

describe('svg helpers', () => {
  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 2.63, 5)).toEqual({ ticks: [0, 1, 2, 3], min: 0, max: 3 });
    expect(niceTicks(0, 2.63, 8).ticks).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
    expect(niceTicks(0, 100, 5).ticks).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('niceTicks widens a single value and survives non-finite input', () => {
    const one = niceTicks(5, 5);
    expect(one.min).toBeLessThan(5);
    expect(one.max).toBeGreaterThan(5);
    expect(niceTicks(NaN, 1)).toEqual({ ticks: [0, 1], min: 0, max: 1 });
  });

  it('powerOfTwoTicks lists powers of two around the range', () => {
    expect(powerOfTwoTicks(1, 16).ticks).toEqual([1, 2, 4, 8, 16]);
    expect(powerOfTwoTicks(3, 9).ticks).toEqual([2, 4, 8, 16]);
  });

  it('formats numbers, bytes and escapes markup', () => {
    expect(formatNumber(21598)).toBe('21.6k');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(NaN)).toBe('–');
    expect(formatBytes(1272160)).toBe('1.27 MB');
    expect(formatBytes(318)).toBe('318 B');
    expect(escapeXml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

describe('lineChart', () => {
  const base = { title: 'T', xLabel: 'x', yLabel: 'y' };

  it('draws one polyline per series with one coordinate pair per point', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'a',
          points: [
            [1, 1],
            [2, 4],
            [3, 9],
          ],
        },
        {
          name: 'b',
          points: [
            [1, 2],
            [3, 2],
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(polylinePoints(svg, 'a')).toHaveLength(1);
    expect(polylinePoints(svg, 'a')[0]).toHaveLength(3);
    expect(polylinePoints(svg, 'b')[0]).toHaveLength(2);
  });

  it('breaks the line at a non-finite point', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'a',
          points: [
            [1, 1],
            [2, NaN],
            [3, 2],
            [4, 3],
          ],
        },
      ],
    });
    expect(polylinePoints(svg, 'a').map((p) => p.length)).toEqual([1, 2]);
  });

  it('puts a marker on every finite point when asked', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'a',
          points: [
            [1, 1],
            [2, NaN],
            [3, 2],
          ],
          markers: true,
        },
      ],
    });
    expect(count(svg, /<circle /g)).toBe(2);
  });

  it('lists each series in the legend, dashed ones with a dashed swatch', () => {
    const svg = lineChart({
      ...base,
      series: [
        { name: 'measured', points: [[1, 1]] },
        {
          name: 'ideal',
          points: [
            [0, 0],
            [4, 4],
          ],
          dashed: true,
        },
      ],
    });
    const legend = svg.slice(svg.indexOf('<g class="legend">'));
    expect(legend).toContain('>measured<');
    expect(legend).toContain('>ideal<');
    expect(count(legend, /stroke-dasharray/g)).toBe(1);
  });

  it('places higher values higher on the page', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 10],
          ],
        },
      ],
    });
    const [p0, p1] = polylinePoints(svg, 'a')[0].map((p) => Number(p.split(',')[1]));
    expect(p1).toBeLessThan(p0);
  });

  it('thins long series to at most maxPoints, keeping the extremes', () => {
    const points: Point[] = Array.from({ length: 10_000 }, (_, i) => [i, i === 5000 ? 100 : Math.sin(i)]);
    const thin = thinPoints(points, 1000);
    expect(thin.length).toBeLessThanOrEqual(1000);
    expect(thin.some(([, y]) => y === 100)).toBe(true);
    const svg = lineChart({ ...base, series: [{ name: 'a', points }], maxPoints: 500 });
    expect(polylinePoints(svg, 'a')[0].length).toBeLessThanOrEqual(500);
  });
});

describe('barChart', () => {
  const base = { title: 'T', xLabel: 'workers', yLabel: 'ms', categories: ['1', '2', '4'] };
  const series = [
    { name: 'compute', values: [90, 45, 22] },
    { name: 'reduce', values: [1, 2, 4] },
    { name: 'comm', values: [5, 10, 20] },
  ];

  it('draws one rect per series and category, grouped', () => {
    const svg = barChart({ ...base, series });
    expect(count(svg, /<rect data-bar=""/g)).toBe(9);
  });

  it('stacks bars so each stack is as tall as its total', () => {
    const svg = barChart({ ...base, series, stacked: true });
    const bars = [
      ...svg.matchAll(
        /<rect data-bar="" data-series="(\w+)" data-category="(\w+)" x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)"/g,
      ),
    ];
    expect(bars).toHaveLength(9);
    const heightOf = (cat: string): number => bars.filter((b) => b[2] === cat).reduce((a, b) => a + Number(b[4]), 0);
    // Totals 96 ms and 57 ms: the stacks are as tall as those in proportion.
    expect(heightOf('1') / heightOf('2')).toBeCloseTo(96 / 57, 2);
    expect(svg).toContain('>96<');
  });

  it('draws nothing for missing, zero or negative values', () => {
    const svg = barChart({ ...base, series: [{ name: 'a', values: [1, NaN, -3] }] });
    expect(count(svg, /<rect data-bar=""/g)).toBe(1);
  });
});

describe('heatmap', () => {
  const values = [
    [8, 1, 1],
    [0, 10, 0],
    [2, 0, 3],
  ];

  it('draws one cell per entry with its number', () => {
    const svg = heatmap({ title: 'C', xLabel: 'predicted', yLabel: 'true', values });
    expect(count(svg, /<rect data-cell=""/g)).toBe(9);
    for (const v of [8, 10, 3, 2]) expect(svg).toContain(`>${v}</text>`);
  });

  it('colours by share of the row: a full row is the darkest colour', () => {
    const svg = heatmap({ title: 'C', xLabel: 'p', yLabel: 't', values });
    const fills = [...svg.matchAll(/<rect data-cell="" [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(fills[4]).toBe(rampColor(1));
    expect(fills[3]).toBe(rampColor(0));
  });

  it('draws a colour bar', () => {
    expect(heatmap({ title: 'C', xLabel: 'p', yLabel: 't', values })).toContain('<linearGradient');
  });
});

describe('imageGrid', () => {
  const w = 3;
  const h = 2;
  const pixels = Uint8Array.from({ length: 4 * w * h }, (_, i) => i * 10);
  const decode = (href: string): Buffer => {
    const png = Buffer.from(href.slice('data:image/png;base64,'.length), 'base64');
    const length = png.readUInt32BE(33); // IDAT follows the 8-byte signature and 25-byte IHDR chunk
    return inflateSync(png.subarray(41, 41 + length));
  };

  it('draws one image per sample, with captions', () => {
    const svg = imageGrid({
      title: 'G',
      pixels,
      count: 4,
      width: w,
      height: h,
      columns: 2,
      captions: ['a', 'b', 'c', 'd'],
    });
    expect(count(svg, /<image data-image=""/g)).toBe(4);
    expect(svg).toContain('>d</text>');
  });

  it('embeds each image row-major (upright), inverted when asked', () => {
    const svg = imageGrid({ title: 'G', pixels, count: 4, width: w, height: h, invert: true });
    const hrefs = [...svg.matchAll(/href="(data:image\/png;base64,[^"]+)"/g)].map((m) => m[1]);
    const raw = decode(hrefs[1]);
    expect([...raw]).toEqual([0, ...[60, 70, 80].map((v) => 255 - v), 0, ...[90, 100, 110].map((v) => 255 - v)]);
  });

  it('draws only as many images as the pixels hold', () => {
    expect(count(imageGrid({ title: 'G', pixels, count: 10, width: w, height: h }), /<image /g)).toBe(4);
  });
});

describe('movingAverage', () => {
  it('averages the trailing window, fewer points at the start, skipping non-finite values', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(movingAverage([1, NaN, 3], 2)).toEqual([1, 1, 3]);
    expect(movingAverage([NaN], 3)).toEqual([NaN]);
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => movingAverage([1], 0)).toThrow(RangeError);
  });
});

describe('decadeTicks', () => {
  it('gives 1-2-5 ticks covering the range in whole decades', () => {
    expect(decadeTicks(0.03, 0.7)).toEqual({ ticks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], min: 0.01, max: 1 });
  });
});
