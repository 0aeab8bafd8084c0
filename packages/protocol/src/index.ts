// Public surface of @gradswarm/protocol: re-exports only.
export {
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  type AuthMessage,
  type ChallengeMessage,
  type DataChunkMessage,
  type DataRequestMessage,
  type ErrorMessage,
  type HeartbeatMessage,
  type HelloMessage,
  type LeaveMessage,
  type Message,
  type MessageType,
  type ReadyMessage,
  type ResultMessage,
  type StepMessage,
  type WelcomeMessage,
  type WireDatasetDescriptor,
  type WireShard,
  type WireTrainingConfig,
} from './messages.js';
export { CLOSE_REASON_MAX_BYTES, COORDINATOR_ID_BYTES, MAC_BYTES, MIN_TOKEN_CHARS, NONCE_BYTES } from './constants.js';
export {
  CLOSE_NORMAL,
  CLOSE_PEER_ERROR,
  PROTOCOL_ERRORS,
  ProtocolError,
  ProtocolErrorCode,
  protocolErrorFromClose,
  type ProtocolErrorCodeValue,
  type ProtocolErrorInfo,
} from './errors.js';
export { DEFAULT_PROTOCOL_LIMITS, limitsForModel, resolveProtocolLimits, type ProtocolLimits } from './limits.js';
export { encodeMessage } from './encode.js';
export { decodeFrame, decodeMessage, type DecodedFrame } from './decode.js';
export { validateMessage, type ValidationContext } from './validate.js';
export { checkResultForStep } from './step-result.js';
export { bytesToFloat32, float32ToBytes } from './float-bytes.js';
export {
  authMac,
  bindingDigest,
  createCoordinatorId,
  createNonce,
  generateToken,
  hmac,
  hmacKey,
  normalizeDialled,
  normalizeFingerprint,
  sessionKeys,
  verifyMac,
  welcomeMac,
  type ConnectionBinding,
  type HmacKey,
  type SessionKeys,
} from './auth.js';
export { deriveTokenKey, TOKEN_KDF, weakTokenReason } from './kdf.js';
export { openSealed, sealMessage } from './seal.js';
export { closeCode, closeReason, truncateUtf8 } from './close-reason.js';
export type { CloseAction, CoordinatorAction, SendAction, WorkerAction } from './session-actions.js';
export {
  CoordinatorSession,
  CoordinatorState,
  type CoordinatorSessionOptions,
  type CoordinatorStateValue,
  type WelcomeOffer,
} from './coordinator-session.js';
export { WorkerSession, WorkerState, type WorkerSessionOptions, type WorkerStateValue } from './worker-session.js';
