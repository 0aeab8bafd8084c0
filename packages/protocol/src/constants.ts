/** Fixed sizes and bounds of the wire protocol (the tunable ones live in `limits.ts`). */

/** Bytes of a challenge nonce and of the worker's cnonce. */
export const NONCE_BYTES = 32;

/** Bytes of an HMAC-SHA256 tag (`auth.mac`, `welcome.mac`). */
export const MAC_BYTES = 32;

/** A data-set fingerprint: hex SHA-256, lowercase (`@gradswarm/data` `fingerprint`). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Bytes before the features in an encoded data set (count, featureCount, classCount as uint32
 * LE; `@gradswarm/data` `encodeDataset`). A welcome's `dataset.bytes` must equal
 * `DATASET_HEADER_BYTES + 4 · count · (featureCount + 1)`.
 */
export const DATASET_HEADER_BYTES = 12;

/** Most threads a worker may announce in `hello`. */
export const MAX_THREADS = 1024;

/** Largest world size a worker may announce in `hello` (`gradswarm launch`). */
export const MAX_WORLD_SIZE = 1_000_000;

/** Most layer sizes a model spec on the wire may list (input and output included). */
export const MAX_SPEC_LAYERS = 256;

/**
 * Most parameters a model on the wire may have: 2^28 float32 values are 1 GiB, far past what
 * synchronous SGD over WebSocket is for, and below every typed-array limit.
 */
export const MAX_PARAMETER_COUNT = 2 ** 28;

/** Largest `config.blockRows` (rows per backprop block) a welcome may ask for. */
export const MAX_BLOCK_ROWS = 1 << 16;

/** A WebSocket close reason may hold at most 123 bytes of UTF-8 (RFC 6455 §5.5). */
export const CLOSE_REASON_MAX_BYTES = 123;

/** Domain-separation label of the worker's MAC: HMAC(K, label ‖ nonce ‖ cnonce ‖ binding). */
export const AUTH_MAC_LABEL = 'gradswarm-auth-v2';

/** Domain-separation label of the coordinator's MAC: HMAC(K, label ‖ cnonce ‖ nonce ‖ binding). */
export const WELCOME_MAC_LABEL = 'gradswarm-welcome-v2';

/** Label of the worker→coordinator session key. */
export const SESSION_W2C_LABEL = 'gradswarm-session-w2c-v2';

/** Label of the coordinator→worker session key. */
export const SESSION_C2W_LABEL = 'gradswarm-session-c2w-v2';

/** scrypt salt of the token key (fixed: the key is derived before any message is exchanged). */
export const TOKEN_KDF_SALT = 'gradswarm-token-v2';

/** Bytes of `challenge.coordinatorId`. */
export const COORDINATOR_ID_BYTES = 16;

/** Fewest characters of a user-chosen token (guessing is offline once a handshake is captured). */
export const MIN_TOKEN_CHARS = 16;

/** Characters of a token made by `generateToken`: letters and digits, 43 of them (> 256 bits). */
export const TOKEN_CHARS = 43;

/** Longest heartbeat interval a welcome may announce (one day). */
export const MAX_HEARTBEAT_MS = 24 * 60 * 60 * 1000;

/** The coordinator's HTTP path for chain peer links: the last worker of a chain sends the total there. */
export const PEER_PATH = '/peer';
