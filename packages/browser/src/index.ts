// Public surface of @gradswarm/browser: the browser tab's parts (browser-safe). The coordinator's
// side, the built page script and lane script with the wasm kernels, is in `@gradswarm/browser/node`.
export { Backoff, type BackoffOptions } from './backoff.js';
export { BrowserClient, refusalText, type BrowserClientOptions, type TabProgress } from './browser-client.js';
export { DatasetStore, datasetKey, matchesFingerprint, sha256Hex } from './dataset-store.js';
export { MAX_TAB_THREADS, parseJoinFragment, threadsFor, type JoinFragment } from './join-fragment.js';
export { JOIN_APP_PATH, JOIN_LANE_PATH, JOIN_PATH, JOIN_WASM_PATH, renderJoinPage } from './join-page.js';
export type { JoinPageOptions } from './join-page.js';
export { TabCompute, type StepAnswer } from './tab-compute.js';
