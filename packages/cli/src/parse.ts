/** Parsers for flag values that yargs cannot check by itself. */
import { UsageError } from './errors.js';

/** "784,100,10" → [784, 100, 10]. @throws UsageError naming the flag */
export function parseIntList(flag: string, text: string, example = '784,100,10'): number[] {
  const parts = String(text)
    .split(',')
    .map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new UsageError(
      `--${flag} must be a comma-separated list of positive integers, got "${text}" - help: e.g. --${flag} ${example}`,
    );
  }
  return values;
}

/**
 * Full layer sizes from `--layers`, read by one rule: a list of two or more entries whose first
 * entry is the data's feature count is the whole network (input, hidden…, output); any other list
 * is the hidden sizes only, and the input and output sizes come from the data (`--layers 100` on
 * MNIST is 784-100-10). A one-entry list is always a hidden size.
 *
 * Two lists are refused because what they build is not what they look like: a full list whose
 * last entry is not the class count, and a hidden list whose last entry is the class count
 * (Keras' "hidden, output" habit: `--layers 30,10` on digits would build 64-30-10-10).
 * @throws UsageError saying how the list was read and how to write it
 */
export function resolveLayers(
  layers: number[] | undefined,
  inputSize: number,
  classCount: number,
  defaultHidden: number[],
): number[] {
  if (layers === undefined) return [inputSize, ...defaultHidden, classCount];
  const text = layers.join(',');
  const last = layers[layers.length - 1];
  if (layers.length >= 2 && layers[0] === inputSize) {
    if (last === classCount) return layers;
    throw new UsageError(
      `--layers ${text} starts with the input size ${inputSize}, so it is read as the full sizes, but it ends with ${last} and the data has ${classCount} classes - help: write --layers ${[...layers, classCount].join(',')} (full sizes) or --layers ${layers.slice(1).join(',')} (hidden sizes only)`,
    );
  }
  if (layers.length >= 2 && last === classCount) {
    const hidden = layers.slice(0, -1).join(',');
    throw new UsageError(
      `--layers ${text} does not start with the input size ${inputSize}, so it is read as hidden sizes and would build ${[inputSize, ...layers, classCount].join('-')} - help: write --layers ${[inputSize, ...layers].join(',')} (full sizes) or --layers ${hidden} (hidden sizes only)`,
    );
  }
  return [inputSize, ...layers, classCount];
}

/**
 * yargs turns a number flag given text (`--epochs abc`) into NaN, and later checks could only
 * say "got NaN" (or "got null" through JSON). This finds such a flag in the parsed arguments and
 * refuses it with what was typed, read back from the raw arguments.
 * @param raw the command line as given (without node and script)
 * @throws UsageError `--epochs must be a number, got "abc"`
 */
export function refuseNonNumbers(parsed: Record<string, unknown>, raw: readonly string[]): void {
  for (const [key, value] of Object.entries(parsed)) {
    // yargs keeps each flag under its kebab and camel names: look at the kebab one.
    if (typeof value !== 'number' || !Number.isNaN(value) || /[A-Z]/.test(key)) continue;
    const typed = typedValue(raw, key);
    if (typed === undefined) continue; // an alias was typed; its own key reports it
    throw new UsageError(`--${key} must be a number, got "${typed}"`);
  }
}

/** The text given to `--flag` (the last one if repeated), or undefined if the flag is absent. */
function typedValue(raw: readonly string[], flag: string): string | undefined {
  let found: string | undefined;
  raw.forEach((arg, i) => {
    if (arg === `--${flag}`) found = raw[i + 1] ?? '';
    else if (arg.startsWith(`--${flag}=`)) found = arg.slice(flag.length + 3);
  });
  return found;
}

/** A finite number flag. @throws UsageError */
export function requireFinite(flag: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new UsageError(`--${flag} must be a number, got "${value}"`);
  return value;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A length of time in `unit` unless the text names its own: "10" (in `unit`), "90s", "1.5m",
 * "500ms", "2h" → milliseconds.
 * @throws UsageError naming the flag, what was typed and the accepted forms
 */
export function parseDurationMs(flag: string, text: string | number, unit: 'ms' | 's' | 'm' | 'h'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(text));
  const ms = match ? Number(match[1]) * DURATION_UNIT_MS[match[2] ?? unit] : Number.NaN;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(
      `--${flag} must be a length of time (a number in ${unit === 'm' ? 'minutes' : unit}, or with ms, s, m or h), got "${text}" - help: e.g. --${flag} 10 or --${flag} 90s`,
    );
  }
  return Math.round(ms);
}
