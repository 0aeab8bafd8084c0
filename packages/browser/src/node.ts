/**
 * What a coordinator serves for /join (Node only): the page, and the files a tab loads with it,
 * read once from this package's bundle (dist/bundle, made by scripts/bundle.mjs in `npm run
 * build`) and core's committed wasm kernels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOIN_APP_PATH, JOIN_LANE_PATH, JOIN_WASM_PATH, renderJoinPage } from './join-page.js';

/** One file of the join page. */
export interface JoinAsset {
  readonly path: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** The page's HTML and its files. */
export interface JoinAssets {
  readonly page: string;
  readonly files: readonly JoinAsset[];
}

const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle');

/**
 * Reads the bundle and the wasm kernels.
 * @param certFingerprint SHA-256 of the coordinator's TLS certificate ('' on plain ws)
 * @throws Error naming the missing file and the command that makes it
 */
export function loadJoinAssets(certFingerprint: string): JoinAssets {
  const read = (file: string): Uint8Array => {
    if (!existsSync(file))
      throw new Error(`${file} is missing - help: run \`npm run build\` (it bundles the join page's scripts)`);
    return new Uint8Array(readFileSync(file));
  };
  const core = dirname(createRequire(import.meta.url).resolve('@gradswarm/core/package.json'));
  const js = 'text/javascript; charset=utf-8';
  return {
    page: renderJoinPage({ certFingerprint }),
    files: [
      { path: JOIN_APP_PATH, contentType: js, bytes: read(join(BUNDLE_DIR, 'app.js')) },
      { path: JOIN_LANE_PATH, contentType: js, bytes: read(join(BUNDLE_DIR, 'lane.js')) },
      {
        path: JOIN_WASM_PATH,
        contentType: 'application/wasm',
        bytes: read(join(core, 'wasm', 'gradswarm_kernels.wasm')),
      },
    ],
  };
}
