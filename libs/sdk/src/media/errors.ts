/**
 * Typed errors of encrypted media. Messages name the field and quote the limit; they carry no key,
 * digest, id, URL or content bytes, so they are safe to log.
 * @module
 */

/** Why a media operation failed: stable across versions, map it rather than parse the message. */
export type MediaErrorCode =
  /**
   * The ciphertext is not what the descriptor promises: a chunk that does not authenticate under the
   * key (flipped byte, wrong key, chunks swapped or reordered), a last flag where none belongs (a
   * dropped or appended chunk), a length other than the size implies, non-zero padding, or a digest
   * mismatch. Nothing unverified was yielded.
   */
  | 'TAMPERED'
  /** A blob over the format's limit (`MEDIA_MAX_SIZE`) or over the media service's cap (HTTP 413). */
  | 'TOO_LARGE'
  /** The media service has no such blob (unknown, expired or incomplete id), or a range past its end. */
  | 'NOT_FOUND'
  /** The media service could not be reached, or kept failing (network, 5xx) after the retries. */
  | 'UNAVAILABLE'
  /** The caller's `AbortSignal` fired. */
  | 'ABORTED'
  /** A bad input: a descriptor, a source, a URL or an option that does not check. */
  | 'MALFORMED'
  /** The media service refused for now (HTTP 429 RATE_LIMITED); `retryAfterMs` when it said. */
  | 'RATE_LIMITED'
  /** The uploader's quota at the media service is spent (HTTP 429 QUOTA_EXCEEDED); `retryAfterMs` when it said. */
  | 'QUOTA_EXCEEDED';

/** A media operation failed; see `code`. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;
  /** What was refused: `chunk`, `length`, `digest`, `padding`, `id`, `range`, `descriptor.type`, `source`, … */
  readonly field: string;
  /** The HTTP status behind it, when there was one. */
  readonly status: number | undefined;
  /** How long the service asked to wait (RATE_LIMITED, QUOTA_EXCEEDED), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: MediaErrorCode, field: string, message: string, options?: { cause?: unknown; status?: number; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = field;
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}
