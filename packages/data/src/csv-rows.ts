/**
 * The shared tokenizer of the CSV and digits readers: comma-separated fields, whitespace trimmed,
 * blank lines skipped, each row tagged with its 1-based line number in the file. No quoting: the
 * files we read are plain numbers.
 */

/** One non-blank line of a CSV file. */
export interface CsvRow {
  /** 1-based line number in the file, for error messages. */
  readonly line: number;
  /** The fields, trimmed. */
  readonly fields: string[];
}

/** Decimal number syntax we accept: optional sign, digits with optional point, optional exponent. */
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The non-blank rows of a CSV text (a leading byte-order mark is dropped; CRLF is accepted). */
export function* csvRows(text: string): Generator<CsvRow> {
  const lines = text.charCodeAt(0) === 0xfeff ? text.slice(1).split('\n') : text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '') continue;
    yield { line: i + 1, fields: trimmed.split(',').map((f) => f.trim()) };
  }
}

/** Upper bound on the number of rows of a text (its line count), to size buffers before parsing. */
export function lineCountBound(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The value of a decimal field, or undefined if it is not a finite decimal number
 * (empty, `nan`, `inf`, hex, `1e999`, …).
 */
export function parseDecimal(field: string): number | undefined {
  if (!NUMBER_RE.test(field)) return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}
