/**
 * Grids of small grayscale images (digits, first-layer weight tiles): each image becomes a PNG
 * `data:` URL in one `<image data-image>`, drawn pixelated at a readable size, with an optional
 * caption underneath (a label, or "true→predicted"). Pixels are row-major from the top-left,
 * `width × height` bytes per image, so digits come out upright.
 */
import { grayPngDataUrl } from './png.js';
import { escapeXml, INK, px, svgRoot } from './svg.js';

export interface Caption {
  readonly text: string;
  /** [INK] */
  readonly color?: string;
}

export interface ImageGridOptions {
  readonly title: string;
  /** `count × width × height` bytes, 0..255. */
  readonly pixels: Uint8Array;
  readonly count: number;
  /** Pixels per image row and rows per image. */
  readonly width: number;
  readonly height: number;
  /** Images per grid row [min(count, 10)]. */
  readonly columns?: number;
  /** Longer side of a drawn image, px [56]. */
  readonly tile?: number;
  /** Draw 255 as black on white, like ink on paper [false]. */
  readonly invert?: boolean;
  /** One per image, drawn under it. */
  readonly captions?: readonly (Caption | string)[];
  /** One per image, shown on hover. */
  readonly tooltips?: readonly string[];
  /** A line under the title (e.g. what the captions mean). */
  readonly note?: string;
}

const GAP = 6;
const MARGIN = 12;

/**
 * An SVG grid of images.
 * @returns `<svg>` markup with one `image[data-image]` per image that `pixels` holds (at most `count`)
 */
export function imageGrid(options: ImageGridOptions): string {
  const { width: w, height: h } = options;
  const per = w * h;
  const count = per > 0 ? Math.max(0, Math.min(options.count, Math.floor(options.pixels.length / per))) : 0;
  const columns = Math.max(1, Math.min(options.columns ?? 10, count || 1));
  const rows = Math.ceil(count / columns);
  const tile = options.tile ?? 56;
  // Non-square inputs (h = 1: a feature vector) are drawn as strips at least 8 px high.
  const tileW = w >= h ? tile : Math.max(8, Math.round((tile * w) / h));
  const tileH = h >= w ? tile : Math.max(8, Math.round((tile * h) / w));
  const captionH = options.captions ? 15 : 0;
  const top = options.note ? 50 : 34;
  const cellW = tileW + GAP;
  const cellH = tileH + captionH + GAP;
  // Wide enough for the title (about 8.5 px per character at 15 px, semibold).
  const width = Math.max(MARGIN * 2 + columns * cellW - GAP, 260, Math.ceil(options.title.length * 8.5) + MARGIN * 2);
  const height = top + rows * cellH + MARGIN - GAP;
  const out: string[] = [
    `<text class="chart-title" x="${MARGIN}" y="20" font-size="15" font-weight="600" fill="${INK}">${escapeXml(options.title)}</text>`,
  ];
  if (options.note) out.push(`<text x="${MARGIN}" y="38" font-size="11" fill="#666">${escapeXml(options.note)}</text>`);
  const image = new Uint8Array(per);
  for (let i = 0; i < count; i++) {
    const x = MARGIN + (i % columns) * cellW;
    const y = top + Math.floor(i / columns) * cellH;
    for (let j = 0; j < per; j++)
      image[j] = options.invert ? 255 - options.pixels[i * per + j] : options.pixels[i * per + j];
    const tip = options.tooltips?.[i];
    out.push(
      `<image data-image="" href="${grayPngDataUrl(w, h, image)}" x="${px(x)}" y="${px(y)}" width="${tileW}" height="${tileH}" preserveAspectRatio="none" style="image-rendering:pixelated">${tip ? `<title>${escapeXml(tip)}</title>` : ''}</image>`,
    );
    out.push(
      `<rect x="${px(x - 0.5)}" y="${px(y - 0.5)}" width="${tileW + 1}" height="${tileH + 1}" fill="none" stroke="#d0d0d0"/>`,
    );
    const caption = options.captions?.[i];
    if (caption !== undefined) {
      const c = typeof caption === 'string' ? { text: caption } : caption;
      out.push(
        `<text x="${px(x + tileW / 2)}" y="${px(y + tileH + 12)}" font-size="11" text-anchor="middle" fill="${c.color ?? INK}">${escapeXml(c.text)}</text>`,
      );
    }
  }
  return svgRoot(width, height, options.title, out.join(''));
}
