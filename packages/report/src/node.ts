// `@gradswarm/report/node`: the Node-only part of the report package, re-exports only.
export { readReportDocument } from './read-document-file.js';
