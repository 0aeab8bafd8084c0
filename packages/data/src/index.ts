// Public surface of @gradswarm/data: re-exports only.
export type { Bounds, Dataset, DatasetRole, DatasetSpec, Scaler, ScalerKind } from './types.js';
export { EPOCH_STREAM_BASE, MAX_CLASS_COUNT, SPLIT_STREAM } from './constants.js';
export { isGzip, readFileBytes } from './file-bytes.js';
export { loadIdxPair, parseIdx, readIdx, type IdxArray, type IdxKind } from './idx.js';
export {
  DEFAULT_CSV_OPTIONS,
  parseCsv,
  readCsv,
  resolveCsvOptions,
  type CsvOptions,
  type CsvSamples,
  type ResolvedCsvOptions,
} from './csv.js';
export { parseDigits, readDigits } from './digits.js';
export { loadEmbeddedMnist } from './mnist-embedded.js';
export { applyScaler, fitScaler } from './scale.js';
export { fingerprint } from './fingerprint.js';
export { DATASET_HEADER_BYTES, decodeDataset, encodeDataset } from './dataset-bytes.js';
export { splitTrainTest, subset } from './split.js';
export {
  arraySplitSizes,
  batchSizesBySize,
  epochPermutation,
  minibatchBounds,
  proportionalShards,
  type MinibatchOptions,
} from './plan.js';
export { formatDatasetSpec, loadDataset, parseDatasetSpec, type LoadDatasetOptions } from './spec.js';
