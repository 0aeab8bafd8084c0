/**
 * The page shell of every report: one self-contained HTML document with inline CSS, a header
 * with key facts, and sections of figures. Nothing is fetched: no script, no font, no
 * stylesheet, and a Content-Security-Policy that only allows inline styles and `data:` images,
 * so a report opened from disk stays offline. Each figure carries `data-chart="<name>"`, which
 * the browser test uses to find and measure the charts.
 */
import { escapeXml } from './svg.js';

export interface PageSection {
  /** Anchor id (kebab-case). */
  readonly id: string;
  readonly title: string;
  /** A sentence above the figures saying what they show. */
  readonly intro?: string;
  /** Figures, tables and notes (already HTML). */
  readonly body: string;
}

export interface PageOptions {
  /** The document title and the page heading. */
  readonly title: string;
  /** A line under the heading. */
  readonly subtitle?: string;
  /** Key figures shown as labelled boxes under the heading. */
  readonly facts?: readonly (readonly [string, string])[];
  readonly sections: readonly PageSection[];
}

/** Allows inline styles and data: images only: the page cannot reach the network. */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** The reports' stylesheet (the dashboard page uses it too). */
export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #222; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
header { background: #fff; border-bottom: 1px solid #dde1e6; padding: 20px 32px 16px; }
h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; }
.subtitle { margin: 0; color: #555; }
.facts { display: flex; flex-wrap: wrap; gap: 8px; margin: 14px 0 0; padding: 0; }
.fact { background: #f4f5f7; border: 1px solid #e2e5e9; border-radius: 6px; padding: 6px 12px; min-width: 90px; }
.fact dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #666; }
.fact dd { margin: 0; font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; }
nav { margin-top: 12px; font-size: 13px; }
nav a { color: #2f5d8a; margin-right: 14px; text-decoration: none; }
main { padding: 8px 32px 32px; max-width: 1500px; }
section { margin-top: 22px; }
h2 { font-size: 17px; margin: 0 0 4px; font-weight: 650; }
.intro { margin: 0 0 10px; color: #555; max-width: 900px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { display: flex; flex-direction: column; width: max-content; max-width: 100%; margin: 0; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 10px; }
figure svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
/* width 0, min-width 100%: the caption wraps at the chart's width instead of widening the figure */
figcaption { width: 0; min-width: 100%; color: #666; font-size: 12px; margin: 6px 0 0; padding: 0 4px; }
.missing { color: #777; font-style: italic; background: #fff; border: 1px dashed #c9ced6; border-radius: 8px; padding: 12px 16px; margin: 0; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dde1e6; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eceef1; text-align: right; }
th { background: #f0f2f5; font-weight: 600; font-size: 12px; }
th:first-child, td:first-child { text-align: left; }
footer { color: #888; font-size: 12px; padding: 0 32px 24px; }
`;

/** A figure holding one chart, findable by `[data-chart="name"]`. */
export function figure(name: string, svg: string, caption?: string): string {
  return `<figure data-chart="${escapeXml(name)}">${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`;
}

/** What stands in for a chart whose data the document does not hold. */
export function missing(name: string, text: string): string {
  return `<p class="missing" data-missing="${escapeXml(name)}">${escapeXml(text)}</p>`;
}

/** A row of figures that wraps on narrow screens. */
export function figures(...items: string[]): string {
  return `<div class="figures">${items.join('')}</div>`;
}

/** A plain table; cells are text, escaped here. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The whole HTML document. */
export function renderPage(options: PageOptions): string {
  const facts = options.facts?.length
    ? `<dl class="facts">${options.facts.map(([k, v]) => `<div class="fact"><dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd></div>`).join('')}</dl>`
    : '';
  const nav =
    options.sections.length > 1
      ? `<nav>${options.sections.map((s) => `<a href="#${escapeXml(s.id)}">${escapeXml(s.title)}</a>`).join('')}</nav>`
      : '';
  const sections = options.sections
    .map(
      (s) =>
        `<section id="${escapeXml(s.id)}"><h2>${escapeXml(s.title)}</h2>${s.intro ? `<p class="intro">${escapeXml(s.intro)}</p>` : ''}${s.body}</section>`,
    )
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(options.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${escapeXml(options.title)}</h1>${options.subtitle ? `<p class="subtitle">${escapeXml(options.subtitle)}</p>` : ''}${facts}${nav}</header>`,
    `<main>\n${sections}\n</main>`,
    '<footer>Written by gradswarm. A self-contained page: inline SVG and styles, no scripts, nothing fetched.</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
