/**
 * # @tacit/protocol
 *
 * The Tacit v1 wire format: pure, synchronous, no I/O. docs/protocol.md is the normative spec;
 * `vectors/valid` and `vectors/invalid` pin it byte for byte.
 *
 * - **Frames**: one WebSocket binary message is one frame, `type u8 || body`.
 *   {@link encodeClientFrame} / {@link decodeClientFrame} for client -> gateway (HELLO, CLAIM,
 *   SEND, ACK, PING), {@link encodeServerFrame} / {@link decodeServerFrame} for gateway -> client
 *   (WELCOME, CLAIMED, ACCEPTED, DELIVER, PONG, ERROR, GOAWAY). Frames are discriminated unions
 *   on `type`: `{ type: 'send', packet }`.
 * - **Packets**: {@link encodePacket} / {@link decodePacket}; 74-byte header, payload padded to
 *   a size bucket ({@link bucketFor}, {@link pad}, {@link unpad}) so that real and cover
 *   traffic look alike.
 * - **Addressing**: {@link destHash} rotates hourly ({@link currentEpoch}, {@link skewWindow},
 *   {@link missedEpochs}); {@link mailboxId} lets the gateway check a claim without learning the
 *   namespace; {@link claimProofMessage} is what the owner signs to claim.
 * - **Prekey endpoints** (§13, HTTP beside the WebSocket): {@link encodePrekeyUpload} /
 *   {@link decodePrekeyUpload}, {@link encodePrekeyBundle} / {@link decodePrekeyBundle}, the fetch and
 *   reply bodies, {@link prekeyTag} / {@link prekeyAddress} and {@link prekeyUploadProofMessage}; their
 *   decoders throw {@link PrekeyError}, whose code the HTTP status and JSON error body carry.
 * - **Push registration**: {@link pushRegistrationMessage} / {@link pushUnregisterMessage} are what
 *   a peer key signs to bind its mailboxes to a push target ({@link pushTargetBytes}), or to drop it.
 * - **Errors**: frame decoders throw only {@link ProtocolError}, whose `code` is the wire error code
 *   to answer with ({@link ErrorCode}) and `field` the offending field; {@link closeCodeFor}
 *   gives the WebSocket close code that follows, if any. Encoders and helpers throw TypeError
 *   (wrong type) or RangeError (wrong value): those are caller bugs, not peer input.
 *
 * Decoders never copy: byte fields are subarray views of the input. Copy what you keep if the
 * buffer may be reused.
 *
 * ```ts
 * import { decodeClientFrame, ProtocolError, closeCodeFor } from '@tacit/protocol';
 * try {
 *   const frame = decodeClientFrame(message);
 *   if (frame.type === 'send') queue(frame.packet);
 * } catch (e) {
 *   if (!(e instanceof ProtocolError)) throw e;
 *   reply({ type: 'error', code: e.code, ref: new Uint8Array(16), message: e.message });
 *   const close = closeCodeFor(e.code);
 *   if (close !== undefined) ws.close(close);
 * }
 * ```
 * @module
 */
export {
  CHALLENGE_LEN,
  BOUND_CLAIMS_VERSION,
  CHANNEL_KEY_CONTEXT,
  CHANNEL_TAG_LEN,
  CLAIM_PROOF_DOMAIN,
  CLAIM_PROOF_DOMAIN_V2,
  EPHEMERAL_KEY_LEN,
  RELAY_KEY_CONTEXT,
  RELAY_KEY_LEN,
  CURVE_KEY_LEN,
  DEFAULT_TTL_HOURS,
  DEST_HASH_LEN,
  EPOCH_MS,
  ERROR_REF_LEN,
  HELLO_MAGIC,
  KEM_KEY_LEN,
  MAILBOX_ID_CONTEXT,
  MAILBOX_ID_LEN,
  MAX_ACK,
  MAX_CLAIM,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FRAME_BYTES,
  MAX_HOP_LIMIT,
  MAX_PAYLOAD_LEN,
  MAX_PREKEY_BUNDLE_BYTES,
  MAX_PREKEY_UPLOAD_BYTES,
  MAX_TTL_SECONDS,
  MAX_UPLOAD_KYBER_PREKEYS,
  MAX_UPLOAD_PREKEYS,
  NAMESPACE_ID_LEN,
  NONCE_LEN,
  ONE_TIME_PREKEY_LEN,
  FRAME_PACKET_AT,
  PACKET_HEADER_LEN,
  PACKET_ID_AT,
  PACKET_ID_LEN,
  PACKET_MAILBOX_ID_AT,
  PACKET_VERSION,
  PEER_KEY_LEN,
  PREKEY_ADDRESS_CONTEXT,
  PREKEY_ADDRESS_LEN,
  PREKEY_BODY_VERSION,
  PREKEY_CHALLENGE_LEN,
  PREKEY_PATH,
  PREKEY_PROOF_DOMAIN,
  PREKEY_TAG_CONTEXT,
  PREKEY_TAG_LEN,
  PROTOCOL_VERSION,
  PUSH_OFF_DOMAIN,
  PUSH_REGISTRATION_DOMAIN,
  SIGNATURE_LEN,
  SIGNED_KEM_PREKEY_LEN,
  SIGNED_PREKEY_LEN,
  SIZE_BUCKETS,
  SKEW_EPOCHS,
  SUPPORTED_VERSIONS,
  XEDDSA_SIGNATURE_LEN,
} from './constants.js';
export {
  CloseCode,
  closeCodeFor,
  ErrorCode,
  errorCodeName,
  ProtocolError,
  type ErrorCodeName,
  type ErrorCodeValue,
} from './errors.js';
export { currentEpoch, missedEpochs, skewWindow } from './epoch.js';
export { destHash, mailboxId } from './address.js';
export {
  CLAIM_PROOF_MESSAGE_LEN,
  CLAIM_PROOF_MESSAGE_V2_LEN,
  channelKey,
  channelTag,
  channelTagValid,
  claimProofMessage,
  claimProofMessageV2,
  relayKeyPair,
} from './claim.js';
export { bucketFor, isBucket, pad, PAD_PREFIX_LEN, unpad } from './padding.js';
export { negotiateVersion } from './version.js';
export { decodePacket, encodePacket, type Packet } from './packet.js';
export { encodePaddedSend, type PacketHeader } from './padded-send.js';
export {
  ClientFrameType,
  decodeClientFrame,
  encodeClientFrame,
  sendFrameTtl,
  ackFrameCount,
  ackV2FrameCount,
  ACK_IDS_AT,
  type AckFrame,
  type ClaimFrame,
  type ClientFrame,
  type DecodeOptions,
  type HelloFrame,
  type PingFrame,
  type SendFrame,
} from './client-frames.js';
export {
  decodeServerFrame,
  encodeServerFrame,
  GoawayReason,
  requestIdRef,
  ServerFrameType,
  type AcceptedFrame,
  type ClaimedFrame,
  type DeliverFrame,
  type ErrorFrame,
  type GoawayFrame,
  type GoawayReasonValue,
  type PongFrame,
  type ServerFrame,
  type WelcomeFrame,
} from './server-frames.js';
export {
  decodePrekeyErrorBody,
  encodePrekeyErrorBody,
  isPrekeyErrorCode,
  PREKEY_ERROR_STATUS,
  PrekeyError,
  type PrekeyErrorCode,
} from './prekey-errors.js';
export {
  decodePushErrorBody,
  encodePushErrorBody,
  isPushErrorCode,
  PUSH_ERROR_STATUS,
  PUSH_PATH,
  PushError,
  type PushErrorCode,
} from './push-errors.js';
export {
  decodePrekeyBundle,
  decodePrekeyFetch,
  decodePrekeyUpload,
  decodePrekeyUploadReply,
  encodePrekeyBundle,
  encodePrekeyFetch,
  encodePrekeyUpload,
  encodePrekeyUploadReply,
  PREKEY_FETCH_LEN,
  PREKEY_PROOF_MESSAGE_LEN,
  PREKEY_UPLOAD_REPLY_LEN,
  prekeyAddress,
  prekeyAddressOf,
  prekeyTag,
  prekeyUploadProofMessage,
  type PrekeyUpload,
  type PrekeyUploadReply,
  type WirePreKey,
  type WirePrekeyBundle,
  type WireSignedPreKey,
} from './prekeys.js';
export {
  PUSH_PROVIDER_BYTE,
  PUSH_REGISTRATION_MESSAGE_LEN,
  PUSH_UNREGISTER_MESSAGE_LEN,
  pushRegistrationMessage,
  pushTargetBytes,
  pushUnregisterMessage,
  type PushProviderName,
  type PushTargetFields,
} from './push.js';
