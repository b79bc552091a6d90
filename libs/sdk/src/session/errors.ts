/**
 * Typed errors of the session layer. Messages name the field and quote the limit; they carry no
 * key, ciphertext or plaintext bytes and no peer identifier, so they are safe to log.
 * @module
 */

/** Why a session operation refused its input: stable across versions, map it rather than parse the message. */
export type SessionErrorCode =
  /** A key has the wrong length, type byte or value (low-order, non-canonical). */
  | 'BAD_KEY'
  /** A prekey signature in a bundle does not verify under the bundle's identity key. */
  | 'BAD_SIGNATURE'
  /** A message or stored record does not decode (truncated, bad protobuf, missing field). */
  | 'MALFORMED'
  /** A message of a protocol version this code does not speak (X3DH's 3, or above 4). */
  | 'BAD_VERSION'
  /** The peer's identity key differs from the one on record; `trustIdentity` accepts the new one. */
  | 'UNTRUSTED_IDENTITY'
  /** A prekey message names a prekey we do not hold: never ours, rotated away, or already used once. */
  | 'UNKNOWN_PREKEY'
  /** A prekey message replays a last-resort post-quantum prekey with a base key already used with it. */
  | 'PREKEY_REUSED'
  /** The message does not authenticate (MAC mismatch, bad padding): tampered or not for this session. */
  | 'AUTH_FAILED'
  /** A message whose key was already used: a replay, or a redelivery of one already received. */
  | 'DUPLICATE_MESSAGE'
  /** No session with this peer (or only one too old to send on): start one from a bundle. */
  | 'NO_SESSION'
  /** The message counter jumps further ahead than the skipped-key limit allows. */
  | 'TOO_FAR_AHEAD';

/** A session operation refused its input; the session state is unchanged. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  /** Why it failed. */
  readonly code: SessionErrorCode;
  /** What was refused, e.g. `bundle.signedPreKey.signature`, `message.counter`, `peer`. */
  readonly field: string;

  constructor(code: SessionErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}
