/**
 * @tacit/directory-core: the username directory's rules and cryptography, shared by the SDK and the
 * directory service. Pure, synchronous (but for `deriveHandleKeysAsync`), no I/O. docs/directory.md
 * explains the design.
 * @module
 */
export * from './errors.js';
export { HANDLE_MAX_LENGTH, HANDLE_MIN_LENGTH, normalizeHandle, skeleton, type NormalizedHandle } from './handle.js';
export { entryId, KEY_LENGTH, POLICY_BYTE, policyOfByte, type OwnershipPolicy } from './policy.js';
export { deriveHandleKeys, deriveHandleKeysAsync, HANDLE_KDF_PARAMS, NAMESPACE_ID_LENGTH, type HandleKeys } from './kdf.js';
export {
  assertRecordShape,
  controlKeyHash,
  deriveControlKey,
  MAX_INVITE_LENGTH,
  MAX_RECORD_LENGTH,
  openRecord,
  recordHash,
  sealRecord,
  type DirectoryRecord,
  type SealRecordInput,
} from './record.js';
export {
  CHALLENGE_LENGTH,
  decodeGrant,
  encodeGrant,
  GRANT_LENGTH,
  signRegistration,
  signRelease,
  signTransfer,
  verifyGrant,
  verifyRegistration,
  type Grant,
  type GrantContext,
} from './proofs.js';
export {
  decodeDirectoryErrorBody,
  decodeDirectoryRequest,
  DIRECTORY_PATH,
  directoryHttpStatus,
  encodeDirectoryErrorBody,
  encodeDirectoryRequest,
  fromBase64Url,
  MAX_DIRECTORY_BODY_BYTES,
  toBase64Url,
  type DirectoryHttpRequest,
  type DirectoryOperation,
} from './http.js';
