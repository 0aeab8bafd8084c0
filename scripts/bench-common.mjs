// What every benchmark script needs: the repository root, the built CLI, the built core (its main
// entry and the Node-only native subpath) and data, and `--name value` flags.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cli = join(root, 'packages/cli/bin/gradswarm.js');

const load = (path) => import(pathToFileURL(join(root, path)).href);

/** The built @gradswarm/core: the main entry plus `@gradswarm/core/native` (createNativeBackend, measureCpuClockHz, …). */
export const loadCore = async () => ({
  ...(await load('packages/core/dist/index.js')),
  ...(await load('packages/core/dist/native.js')),
});

/** The built @gradswarm/data. */
export const loadData = () => load('packages/data/dist/index.js');

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/**
 * The `--configs` flag (`784-50-10:200,…`: a network and its batch size per entry), or `fallback`.
 * @returns one `{ name, layers, batch }` per entry (`name` as written, `layers` as numbers)
 */
export function networkConfigs(fallback) {
  return arg('configs', fallback)
    .split(',')
    .map((c) => {
      const [name, batch] = c.split(':');
      return { name, layers: name.split('-').map(Number), batch: Number(batch) };
    });
}

/** The texts' hyper-parameters as gradswarm flags (README "Defaults" explains the one difference, L1). */
export const TEXTS_FLAGS = Object.freeze([
  ...['--hidden', 'sigmoid', '--output', 'sigmoid', '--loss', 'bce', '--init', 'uniform', '--init-epsilon', '1'],
  ...['--l1', '0', '--l2', '0.1', '--reduction', 'sum'],
  ...['--lr', '0.001', '--momentum', '0.001', '--decay', '0.00001', '--decay-kind', 'compound'],
]);

/** Training samples of the embedded digits after the default 20% test split. */
export const EMBEDDED_TRAIN_SAMPLES = 8000;
