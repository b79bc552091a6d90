/**
 * The end-to-end session layer: libsignal-compatible PQXDH and Double Ratchet sessions, prekeys,
 * safety numbers and the stores they live in.
 * @module
 */
export { SessionError, type SessionErrorCode } from './errors.js';
export { MemoryStore, type SessionStore, type StoreWrite } from './store.js';
export { IndexedDbStore } from './indexeddb-store.js';
export { decodeBundle, encodeBundle, type PreKeyBundle, type SignedPublicPreKey } from './bundle.js';
export type { KemType } from './keys.js';
export { MESSAGE_TYPE_PREKEY, MESSAGE_TYPE_WHISPER, MESSAGE_VERSION, type CiphertextMessage } from './messages.js';
export { MAX_FORWARD_JUMP, MAX_RECEIVE_CHAINS, MAX_SKIPPED_KEYS } from './ratchet.js';
export {
  SessionManager,
  type InboxMessage,
  type PreKeyPolicy,
  type PreKeyUpload,
  type SessionManagerOptions,
} from './session-manager.js';
export { safetyNumber, SAFETY_NUMBER_ITERATIONS, type SafetyNumber } from './safety-number.js';
