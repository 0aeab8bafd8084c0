/** Reading a report's source document from disk (Node only: `@gradswarm/report/node`). */
import { readFileSync } from 'node:fs';
import { ErrorCode, fsReason, GradswarmError } from '@gradswarm/core';
import { parseReportDocument, type ReportDocument } from './read-document.js';

/**
 * Reads and parses a report's source document.
 * @throws GradswarmError GS_ERR_DATA_IO if the file cannot be read, GS_ERR_DATA_FORMAT if it is not a report source
 */
export function readReportDocument(path: string): ReportDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot read ${path}: ${fsReason(err)} - help: check the path`, {
      cause: err,
    });
  }
  return parseReportDocument(text, path);
}
