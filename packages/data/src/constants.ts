/** Defaults, limits and fixed numbers of the data package. */

/** First two bytes of every gzip stream (RFC 1952); files are detected by these, not by name. */
export const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** IDX type byte of unsigned 8-bit data, the only element type gradswarm reads. */
export const IDX_TYPE_UBYTE = 0x08;

/** IDX type bytes we recognise but do not read, with their names for error messages. */
export const IDX_OTHER_TYPES: Readonly<Record<number, string>> = {
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Largest class count a data set may declare (labels 0 … MAX_CLASS_COUNT−1); stops a stray label
 * like 1e9 from sizing an output layer.
 */
export const MAX_CLASS_COUNT = 1 << 16;

/** Smallest class count of a data set: even a file holding only label 0 is a 2-class problem. */
export const MIN_CLASS_COUNT = 2;

/** Rng stream of the train/test split, far from the epoch streams so the two never share draws. */
export const SPLIT_STREAM = 0x53504c54; // 'SPLT'

/** Epoch k's permutation uses Rng stream EPOCH_STREAM_BASE + k. */
export const EPOCH_STREAM_BASE = 1_000_000;

/** Values of the UCI/scikit-learn digits files are integers 0 … DIGITS_MAX_VALUE. */
export const DIGITS_MAX_VALUE = 16;
/** Pixel columns of a digits row (8×8); the label follows them. */
export const DIGITS_FEATURE_COUNT = 64;
/** Classes of the digits files (0 … 9). */
export const DIGITS_CLASS_COUNT = 10;

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;
/** Classes of MNIST (0 … 9). */
export const MNIST_CLASS_COUNT = 10;

/** IDX file stems looked for in an `idx:DIR` spec, each tried raw then with `.gz`. */
export const IDX_DIR_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** Whether this host stores numbers little-endian, as the wire and the fingerprint do (node:os endianness(), without node:os). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
