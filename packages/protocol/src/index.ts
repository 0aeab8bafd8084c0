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
export { MAC_BYTES, NONCE_BYTES } from './constants.js';
export {
  PROTOCOL_ERRORS,
  ProtocolError,
  ProtocolErrorCode,
  protocolErrorFromClose,
  type ProtocolErrorCodeValue,
  type ProtocolErrorInfo,
} from './errors.js';
export { DEFAULT_PROTOCOL_LIMITS, limitsForModel, resolveProtocolLimits, type ProtocolLimits } from './limits.js';
export { encodeMessage } from './encode.js';
export { decodeMessage } from './decode.js';
export { validateMessage, type ValidationContext } from './validate.js';
export { checkResultForStep } from './step-result.js';
export { bytesToFloat32, float32ToBytes } from './float-bytes.js';
export { authMac, createNonce, generateToken, verifyMac, welcomeMac } from './auth.js';
