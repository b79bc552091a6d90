// Errors of the prekey endpoints (docs/protocol.md §13.6): a code, the HTTP status that carries it,
// and the JSON body both sides read. Separate from the frame ERROR codes, which only a new protocol
// version may extend; the endpoints are HTTP and say what went wrong by status and body.
import { decodeEndpointErrorBody, encodeEndpointErrorBody, type EndpointErrorKind } from './endpoint-errors.js';

/** HTTP status of each prekey error code. Codes never change meaning; new ones may be added. */
export const PREKEY_ERROR_STATUS = Object.freeze({
  /** A body that does not decode: cut short, bytes left over, a count or flag out of range. */
  MALFORMED: 400,
  /** A key with the wrong type byte. */
  BAD_KEY: 400,
  /** A prekey whose signature does not verify under the upload's identity key. */
  BAD_SIGNATURE: 400,
  /** The upload's proof is not the identity key's signature over it. */
  BAD_PROOF: 401,
  /** The challenge is not the service's, has expired, or was used already by this identity. */
  STALE_CHALLENGE: 401,
  /** One-time prekeys for an identity with no signed prekey or last-resort key on file. */
  INCOMPLETE: 409,
  /** The identity would hold more one-time prekeys than the service keeps per identity. */
  TOO_MANY_PREKEYS: 409,
  /** No bundle at the address. */
  NOT_FOUND: 404,
  /** Another method than POST (or OPTIONS). */
  BAD_METHOD: 405,
  /** The body did not arrive in time. */
  TIMEOUT: 408,
  /** The body is longer than the endpoint takes. */
  TOO_LARGE: 413,
  /** Too many requests from this client address; retry after the `Retry-After` seconds. */
  RATE_LIMITED: 429,
  /** The service cannot answer now (draining, busy, its database down); retry. */
  UNAVAILABLE: 503,
  /** A bug. */
  INTERNAL: 500,
} as const);

/** A prekey error code, e.g. `'BAD_SIGNATURE'`. */
export type PrekeyErrorCode = keyof typeof PREKEY_ERROR_STATUS;

/** Whether `code` is a prekey error code. */
export function isPrekeyErrorCode(code: unknown): code is PrekeyErrorCode {
  return typeof code === 'string' && Object.hasOwn(PREKEY_ERROR_STATUS, code);
}

/**
 * A prekey body or request refused, by a decoder here, by the gateway or by the prekey service.
 * `field` names the offending field as protocol.md §13 writes it (`kyberPreKeys[3].signature`).
 * Messages carry no key bytes.
 */
export class PrekeyError extends Error {
  override readonly name = 'PrekeyError';
  readonly code: PrekeyErrorCode;
  readonly field: string;

  constructor(code: PrekeyErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }

  /** The HTTP status that carries this error. */
  get status(): number {
    return PREKEY_ERROR_STATUS[this.code];
  }

  /** Whether trying again later (unchanged) can succeed. */
  get retryable(): boolean {
    return this.code === 'RATE_LIMITED' || this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT' || this.code === 'STALE_CHALLENGE';
  }
}

/** The JSON body of an error answer: `{"code","field","message"}`, the message cut to 512 characters. */
export function encodePrekeyErrorBody(err: PrekeyError): string {
  return encodeEndpointErrorBody(err);
}

const _KIND: EndpointErrorKind<PrekeyErrorCode, PrekeyError> = {
  name: 'prekey',
  isCode: isPrekeyErrorCode,
  make: (code, field, message) => new PrekeyError(code, field, message),
  byStatus: (status) => (status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'TOO_LARGE' : status >= 500 ? 'UNAVAILABLE' : 'MALFORMED'),
};

/**
 * The error an answer with HTTP `status` and `body` carries. A body that is not the JSON of
 * {@link encodePrekeyErrorBody} (a proxy's page, say) still gives a typed error, by status.
 */
export function decodePrekeyErrorBody(status: number, body: string): PrekeyError {
  return decodeEndpointErrorBody(_KIND, status, body);
}
