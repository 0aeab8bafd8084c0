import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import { describe, expect, it } from 'vitest';
import { parseReportDocument } from '../src/read-document.js';
import { readReportDocument } from '../src/read-document-file.js';

const metrics = JSON.stringify({ format: 'gradswarm-metrics', version: 1, minibatchCost: [], epochs: [] });
const scale = JSON.stringify({ benchmark: 'scale', network: '4-3-2', results: [] });

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof GradswarmError ? err.code : 'not a GradswarmError';
  }
  return undefined;
}

describe('parseReportDocument', () => {
  it('recognises a metrics document', () => {
    expect(parseReportDocument(metrics, 'm.json').kind).toBe('training');
  });

  it('recognises a scale benchmark document', () => {
    expect(parseReportDocument(scale, 's.json').kind).toBe('scale');
  });

  it('takes the last JSON line of saved benchmark output', () => {
    expect(parseReportDocument(`measuring 1 worker\nmeasuring 2 workers\n${scale}\n`, 'out.txt').kind).toBe('scale');
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseReportDocument('hello', 'x.json')).toThrow(/^x\.json is not a JSON object - help: /);
    expect(codeOf(() => parseReportDocument('[1, 2]', 'x.json'))).toBe(ErrorCode.DATA_FORMAT);
  });

  it('refuses another kind of document, naming its format', () => {
    expect(() => parseReportDocument('{"format":"gradswarm-mlp","version":1}', 'model.json')).toThrow(
      /model\.json is a gradswarm-mlp document/,
    );
    expect(() => parseReportDocument('{"a":1}', 'a.json')).toThrow(/neither a metrics document/);
  });

  it('refuses a document without its arrays', () => {
    expect(() => parseReportDocument('{"format":"gradswarm-metrics"}', 'm.json')).toThrow(
      /without minibatchCost or epochs/,
    );
    expect(() => parseReportDocument('{"benchmark":"scale"}', 's.json')).toThrow(/without a results array/);
  });
});

describe('readReportDocument', () => {
  it('refuses a missing file with GS_ERR_DATA_IO', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradswarm-report-'));
    try {
      const missing = join(dir, 'nope.json');
      expect(codeOf(() => readReportDocument(missing))).toBe(ErrorCode.DATA_IO);
      expect(() => readReportDocument(missing)).toThrow(/cannot read .*nope\.json: no such file or directory - help/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
