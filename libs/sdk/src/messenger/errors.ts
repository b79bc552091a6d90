/**
 * Typed errors of the messenger layer. Messages name the field and quote the limit; they carry no
 * key, ciphertext or plaintext bytes, so they are safe to log. Refusals of the session layer stay
 * `SessionError`s and of the prekey service `PrekeyError`s (from @tacit/protocol).
 * @module
 */

/** Why the messenger refused something: stable across versions, map it rather than parse the message. */
export type MessengerErrorCode =
  /** An invite string that does not decode (alphabet, length, checksum, version, relay URL). */
  | 'BAD_INVITE'
  /** A message longer than {@link MAX_MESSAGE_BYTES}. */
  | 'TOO_LARGE'
  /** The bundle the relay handed out is not of the identity the contact's invite names. */
  | 'BUNDLE_MISMATCH'
  /** An incoming envelope that is not sealed to us, or does not decode once opened. */
  | 'BAD_ENVELOPE'
  /** A first message whose sender's mailbox key does not vouch for its identity key. */
  | 'BAD_SENDER'
  /** A contact string that is neither an invite nor a known peer id. */
  | 'UNKNOWN_CONTACT'
  /** A message whose content does not decode (a media descriptor that does not check); dropped. */
  | 'BAD_CONTENT'
  /** A message of a content kind this version does not know (a newer sender); dropped. */
  | 'UNSUPPORTED_CONTENT'
  /** The messenger was closed. */
  | 'CLOSED';

/** A messenger operation refused its input; nothing was sent or stored. */
export class MessengerError extends Error {
  override readonly name = 'MessengerError';
  readonly code: MessengerErrorCode;
  readonly field: string;

  constructor(code: MessengerErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}
