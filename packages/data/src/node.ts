// `@gradswarm/data/node`: the Node-only part of the data package, re-exports only.
export { writeFileAtomic } from './write-file-atomic.js';
