/**
 * `--config FILE`: flags read from a JSON or YAML file (the yaml package parses both, JSON being
 * YAML). Keys are the flag names (`batch-size`, or yargs' camelCase `batchSize`); the flags typed
 * on the command line override the file. The file is turned into `--key=value` arguments placed
 * before the typed ones, so yargs checks them as if typed (choices, numbers) and the later,
 * typed ones win (duplicate-arguments-array is off). yargs' own config option cannot be used:
 * it reports every failure of a parser as "Invalid JSON config file", without the reason.
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The path given to --config (the last one, as yargs would take), or undefined. */
function configPathOf(argv: readonly string[]): string | undefined {
  let path: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === '--config') path = argv[i + 1];
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
  });
  return path;
}

/** One config value as the text of a `--key=value` argument, checked against the flag's type. */
function argumentOf(file: string, key: string, value: unknown, flag: Options): string[] {
  const wrong = (what: string): UsageError =>
    new UsageError(
      `--config ${file}: "${key}" must be ${what}, got ${JSON.stringify(value)} - help: write it as on the command line`,
    );
  if (flag.type === 'boolean') {
    if (typeof value !== 'boolean') throw wrong('true or false');
    return [value ? `--${key}` : `--no-${key}`];
  }
  if (flag.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong('a number');
    return [`--${key}=${value}`];
  }
  // String and choice flags: a list (layers: [256, 64]) is written comma-separated.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))
    return [`--${key}=${value.join(',')}`];
  if (typeof value !== 'string' && typeof value !== 'number') throw wrong('a string');
  return [`--${key}=${value}`];
}

/**
 * Reads the --config file of `argv` (a command followed by its arguments) and returns the
 * arguments with the file's settings put in front of the typed ones; argv itself if there is
 * no --config.
 * @param flags the command's flags (kebab-case names)
 * @throws UsageError for an unreadable or unparsable file, a key that is no flag of the command,
 *   or a value of the wrong type
 */
export function expandConfigFile(argv: readonly string[], flags: Record<string, Options>): string[] {
  const path = configPathOf(argv);
  if (path === undefined) return [...argv];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--config ${path}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}) - help: point --config at a JSON or YAML file`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new UsageError(`--config ${path}: not valid JSON or YAML: ${reason}`);
  }
  if (doc === null || doc === undefined) return [...argv]; // an empty file sets nothing
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`--config ${path}: must hold a mapping of flag names to values, e.g. {"epochs": 20}`);
  }
  const names = Object.keys(flags);
  const fromFile: string[] = [];
  for (const [rawKey, value] of Object.entries(doc as Record<string, unknown>)) {
    const named = kebab(rawKey);
    // An alias (decay-kind for schedule) names its flag too.
    const key = names.find((n) => n === named) ?? names.find((n) => [flags[n].alias].flat().includes(named)) ?? named;
    const flag = flags[key];
    if (flag === undefined || key === 'config') {
      const near = names.filter((n) => n.startsWith(key.slice(0, 3))).slice(0, 3);
      throw new UsageError(
        `--config ${path}: unknown key "${rawKey}" - help: keys are this command's flag names${near.length > 0 ? `, e.g. ${near.join(', ')}` : ''}`,
      );
    }
    if (value === null) continue; // `key:` with no value in YAML: leave the flag to its default
    fromFile.push(...argumentOf(path, key, value, flag));
  }
  // The command stays first; the file's flags come before the typed ones, which win.
  return [argv[0], ...fromFile, ...argv.slice(1)];
}
