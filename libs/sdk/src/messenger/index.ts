/**
 * The messenger API: `Messenger.create`, `invite`, `send`, `sendMedia`, `onMessage`, `close`, over the relay
 * client and the session layer; invites; the prekey endpoints' client; the directory's (`register`,
 * `lookup`, `transfer`, `release`).
 * @module
 */
export {
  Messenger,
  contactId,
  type Contact,
  type IncomingMedia,
  type IncomingMessage,
  type MessageHandler,
  type MessengerOptions,
  type SendMediaOptions,
} from './messenger.js';
export { CONTENT_DATA, CONTENT_HEADER_BYTES, CONTENT_MEDIA, decodeContent, encodeContent, type MessageContent } from './content.js';
export { MessengerError, type MessengerErrorCode } from './errors.js';
export { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from './invite.js';
export {
  bindingMessage,
  ENVELOPE_AAD,
  MAX_MESSAGE_BYTES,
  parseEnvelope,
  PREKEY_OVERHEAD,
  sealEnvelope,
  WHISPER_OVERHEAD,
  type Envelope,
  type EnvelopeKind,
} from './envelope.js';
export { PrekeyHttpClient, prekeyBaseUrl, type FetchLike } from './prekey-http.js';
export { PrekeyError, type PrekeyErrorCode } from '@tacit/protocol';
export { DirectoryHttpClient, directoryBaseUrl, HandleDirectory, type HandleEntry, type TransferGrant, type TransferRequest } from './directory.js';
export { DirectoryError, normalizeHandle, type DirectoryErrorCode, type OwnershipPolicy } from '@tacit/directory-core';
