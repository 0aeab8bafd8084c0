/** Parsers for flag values that yargs cannot check by itself. */
import { UsageError } from './errors.js';

/** "784,100,10" → [784, 100, 10]. @throws UsageError naming the flag */
export function parseIntList(flag: string, text: string, example = '784,100,10'): number[] {
  const parts = String(text).split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new UsageError(`--${flag} must be a comma-separated list of positive integers, got "${text}" - help: e.g. --${flag} ${example}`);
  }
  return values;
}

/**
 * Full layer sizes from `--layers`. A list that starts with the data's feature count and ends
 * with its class count is the whole network; any other list is the hidden sizes only, and the
 * input and output sizes come from the data (`--layers 100` on MNIST is 784-100-10).
 */
export function resolveLayers(layers: number[] | undefined, inputSize: number, classCount: number, defaultHidden: number[]): number[] {
  if (layers === undefined) return [inputSize, ...defaultHidden, classCount];
  if (layers.length >= 2 && layers[0] === inputSize && layers[layers.length - 1] === classCount) return layers;
  return [inputSize, ...layers, classCount];
}

/** A finite number flag. @throws UsageError */
export function requireFinite(flag: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a number, got "${value}"`);
  return value;
}
