// Errors of the username directory: one class, one code per rule, shared by the SDK (which refuses
// a bad handle before anything is sent) and the directory service (which refuses a bad proof).
// Codes never change meaning; new ones may be added.

/** What each directory error code means. */
export const DIRECTORY_ERROR_CODES = Object.freeze({
  /** Fewer code points than {@link HANDLE_MIN_LENGTH} after normalisation. */
  HANDLE_TOO_SHORT: 'the handle is shorter than the minimum',
  /** More code points than {@link HANDLE_MAX_LENGTH} after normalisation (or far too long before). */
  HANDLE_TOO_LONG: 'the handle is longer than the maximum',
  /** A character handles may not hold: punctuation, symbols, spaces, controls, invisible characters, a script not recommended for identifiers. */
  FORBIDDEN_CHARACTER: 'a character handles may not hold',
  /** Allowed characters in a forbidden place: not starting with a letter, `_` last or doubled, stacked marks. */
  BAD_FORM: 'allowed characters in a forbidden arrangement',
  /** Letters of more than one script (UTS #39 "highly restrictive" is the most allowed). */
  MIXED_SCRIPTS: 'letters of more than one script',
  /** A handle in another script that looks like a Latin one (UTS #39 whole-script confusable). */
  CONFUSABLE: 'the handle looks like a Latin handle',
  /** Bytes that do not decode: a record, grant or key of the wrong length or version. */
  MALFORMED: 'bytes that do not decode',
  /** A record that does not decrypt under the handle's key, or whose identity signature does not verify. */
  BAD_RECORD: 'a record that does not decrypt or verify',
  /** A registration whose proof of possession is missing or does not verify. */
  BAD_PROOF: 'a missing or bad proof of possession',
  /** A transfer or release whose signature does not verify under the current owner's key. */
  BAD_SIGNATURE: 'a bad owner signature',
  /** The key that signed is not the entry's current owner. */
  NOT_OWNER: 'the signer does not own the handle',
  /** A transfer or release signed to be good until a time now past. */
  EXPIRED: 'a signature past its expiry',
  /** A transfer or release for another sequence number than the entry's next one (used before, or out of order). */
  REPLAYED: 'a signature for a sequence number already used or not yet reached',
  /** The entry is held under another ownership policy than the caller's namespace uses. */
  POLICY_MISMATCH: 'an entry of another ownership policy',
  /** The handle is registered to someone else (or to a look-alike of it). */
  TAKEN: 'the handle is taken',
  /** No entry for the handle. */
  NOT_FOUND: 'no such handle',
  /** A challenge the service did not issue, that has expired, or that was used already. */
  STALE_CHALLENGE: 'a challenge that is not good any more',
  /** Too many requests from this requester; retry later. */
  RATE_LIMITED: 'too many requests',
  /** The gateway's: a request body longer than the endpoint takes. */
  TOO_LARGE: 'a request body too long',
  /** The gateway's: a method other than POST, or a path that is no directory endpoint. */
  BAD_METHOD: 'not a directory endpoint or method',
  /** The gateway's: a request body that did not arrive in time. */
  TIMEOUT: 'a request body that did not arrive in time',
  /** The gateway's: the directory (or the gateway) cannot answer now; retry. */
  UNAVAILABLE: 'the directory cannot answer now',
  /** The gateway's: an error it did not expect. */
  INTERNAL: 'internal error',
} as const);

/** A directory error code, e.g. `'MIXED_SCRIPTS'`. */
export type DirectoryErrorCode = keyof typeof DIRECTORY_ERROR_CODES;

/** Whether `code` is a directory error code. */
export function isDirectoryErrorCode(code: unknown): code is DirectoryErrorCode {
  return typeof code === 'string' && Object.hasOwn(DIRECTORY_ERROR_CODES, code);
}

/**
 * A handle, record, proof or request refused. `code` names the rule broken, `field` the offending
 * input (`'handle'`, `'grant.signature'`, …). Messages may quote the offending character of a
 * handle to its own user, never key bytes.
 */
export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  readonly code: DirectoryErrorCode;
  readonly field: string;

  constructor(code: DirectoryErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}
