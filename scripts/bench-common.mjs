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
