/**
 * The media endpoints' refusals outside tus's own protocol answers: a code, the HTTP status that
 * carries it, and the JSON body `{"code","field","message"}` the prekey and directory endpoints
 * answer with too.
 * @module
 */

/** HTTP status of each media error code. Codes never change meaning; new ones may be added. */
export const MEDIA_ERROR_STATUS = Object.freeze({
  /** A request that does not parse: no or a bad Upload-Length, a deferred length, a bad Range. */
  MALFORMED: 400,
  /** No completed blob (or upload) with that id: unknown, expired, unfinished, or not an id at all. */
  NOT_FOUND: 404,
  /** A method the path does not take. */
  BAD_METHOD: 405,
  /** Upload-Length over MEDIA_MAX_BLOB_BYTES. */
  TOO_LARGE: 413,
  /** A range starting at or past the blob's end (Content-Range: bytes *\/size). */
  RANGE_NOT_SATISFIABLE: 416,
  /** The client address's bytes for the day are spent; retry after `Retry-After` seconds. */
  QUOTA_EXCEEDED: 429,
  /** Too many requests, or uploads at once, from this client address; retry after `Retry-After`. */
  RATE_LIMITED: 429,
  /** The service cannot answer now (busy, draining, its store down); retry. */
  UNAVAILABLE: 503,
  /** A bug. */
  INTERNAL: 500,
} as const);

/** A media error code, e.g. `'TOO_LARGE'`. */
export type MediaErrorCode = keyof typeof MEDIA_ERROR_STATUS;

/** A request refused; `field` names the header or path segment at fault. Messages carry no ids. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;
  readonly field: string;
  /** Seconds a client should wait before retrying (429, 503). */
  readonly retryAfter: number | undefined;

  constructor(code: MediaErrorCode, field: string, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options);
    this.code = code;
    this.field = field;
    this.retryAfter = options?.retryAfter;
  }

  /** The HTTP status that carries {@link code}. */
  get status(): number {
    return MEDIA_ERROR_STATUS[this.code];
  }

  /** The JSON body. */
  body(): string {
    return JSON.stringify({ code: this.code, field: this.field, message: this.message });
  }
}
