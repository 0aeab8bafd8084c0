/**
 * Recognises what a report is built from: a metrics document (`"format": "gradswarm-metrics"`,
 * written by `train --metrics`) or a scale benchmark (`"benchmark": "scale"`, the JSON line of
 * `bench scale --json`). A saved stdout of the benchmark may hold other lines before the JSON
 * one, so when the whole text is not JSON the last line that parses as an object is used.
 */
import type { MetricsDocument } from '@gradswarm/coordinator';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import type { ScaleBenchDocument } from './types.js';

export type ReportDocument =
  | { readonly kind: 'training'; readonly doc: MetricsDocument }
  | { readonly kind: 'scale'; readonly doc: ScaleBenchDocument };

const HELP = '- help: give a file written by train --metrics or the JSON line of bench scale --json';

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function bad(source: string, what: string): GradswarmError {
  return new GradswarmError(ErrorCode.DATA_FORMAT, `${source} ${what} ${HELP}`);
}

/**
 * Parses a report's source document.
 * @param text the file's contents
 * @param source the file name, for messages
 * @throws GradswarmError GS_ERR_DATA_FORMAT when the text is neither kind of document
 */
export function parseReportDocument(text: string, source: string): ReportDocument {
  let value = parseObject(text);
  if (value === null) {
    const lines = text.split('\n').filter((l) => l.trim().startsWith('{'));
    for (let i = lines.length - 1; i >= 0 && value === null; i--) value = parseObject(lines[i]);
  }
  if (value === null) throw bad(source, 'is not a JSON object');
  if (value.format === 'gradswarm-metrics') {
    if (!Array.isArray(value.minibatchCost) || !Array.isArray(value.epochs))
      throw bad(source, 'is a metrics document without minibatchCost or epochs arrays');
    return { kind: 'training', doc: value as unknown as MetricsDocument };
  }
  if (value.benchmark === 'scale') {
    if (!Array.isArray(value.results)) throw bad(source, 'is a scale benchmark without a results array');
    return { kind: 'scale', doc: value as unknown as ScaleBenchDocument };
  }
  if (typeof value.format === 'string' || typeof value.benchmark === 'string') {
    throw bad(
      source,
      `is a ${String(value.format ?? `${String(value.benchmark)} benchmark`)} document, not one a report is made from`,
    );
  }
  throw bad(
    source,
    'is neither a metrics document ("format": "gradswarm-metrics") nor a scale benchmark ("benchmark": "scale")',
  );
}
