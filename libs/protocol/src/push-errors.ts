// Errors of the push registration endpoints (docs/push.md, docs/gateway.md): a code, the HTTP status
// that carries it, and the JSON body both sides read — `{"code","field","message"}`, as the prekey
// endpoints answer (prekey-errors.ts). The codes are the push service's PushStatus names without
// their prefix, plus the gateway's own (TOO_LARGE, TIMEOUT, BAD_METHOD, UNAVAILABLE, INTERNAL).
import { decodeEndpointErrorBody, encodeEndpointErrorBody, type EndpointErrorKind } from './endpoint-errors.js';

/** Where the push endpoints live on the gateway's client listener: `POST /v1/push/register`, `/unregister`. */
export const PUSH_PATH = '/v1/push';

/** HTTP status of each push error code. Codes never change meaning; new ones may be added. */
export const PUSH_ERROR_STATUS = Object.freeze({
  /** A body that does not decode, or a field of the wrong length, count or format. */
  MALFORMED: 400,
  /** The signature does not verify under the peer key. */
  BAD_PROOF: 401,
  /** `issued_at_ms` outside the service's clock window, or not newer than the peer key's last request. */
  STALE: 409,
  /** Too many requests from this client address (or for this target); retry after `Retry-After` seconds. */
  RATE_LIMITED: 429,
  /** Nothing registered under the peer key. */
  NOT_FOUND: 404,
  /** A provider this deployment is not configured for. */
  UNSUPPORTED: 422,
  /** The gateway's: a body longer than the endpoint takes. */
  TOO_LARGE: 413,
  /** The gateway's: the body did not arrive in time. */
  TIMEOUT: 408,
  /** The gateway's: another method than POST (or OPTIONS). */
  BAD_METHOD: 405,
  /** The push service (or the gateway) cannot answer now: draining, busy, not running; retry. */
  UNAVAILABLE: 503,
  /** A bug, or a status this version does not know. */
  INTERNAL: 500,
} as const);

/** A push error code, e.g. `'STALE'`. */
export type PushErrorCode = keyof typeof PUSH_ERROR_STATUS;

/** Whether `code` is a push error code. */
export function isPushErrorCode(code: unknown): code is PushErrorCode {
  return typeof code === 'string' && Object.hasOwn(PUSH_ERROR_STATUS, code);
}

/**
 * A push registration refused, by the gateway or by the push service. `field` names the offending
 * field as the proto writes it (`dests[3]`, `target.token`); messages carry no key, token or dest bytes.
 */
export class PushError extends Error {
  override readonly name = 'PushError';
  readonly code: PushErrorCode;
  readonly field: string;

  constructor(code: PushErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }

  /** The HTTP status that carries this error. */
  get status(): number {
    return PUSH_ERROR_STATUS[this.code];
  }

  /** Whether trying again later (unchanged but for a fresh `issued_at_ms` when STALE) can succeed. */
  get retryable(): boolean {
    return this.code === 'RATE_LIMITED' || this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT' || this.code === 'STALE';
  }
}

/** The JSON body of an error answer: `{"code","field","message"}`, the message cut to 512 characters. */
export function encodePushErrorBody(err: PushError): string {
  return encodeEndpointErrorBody(err);
}

const _KIND: EndpointErrorKind<PushErrorCode, PushError> = {
  name: 'push',
  isCode: isPushErrorCode,
  make: (code, field, message) => new PushError(code, field, message),
  byStatus: (status) => (status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'TOO_LARGE' : status === 408 ? 'TIMEOUT' : status >= 500 ? 'UNAVAILABLE' : 'MALFORMED'),
};

/**
 * The error an answer with HTTP `status` and `body` carries. A body that is not the JSON of
 * {@link encodePushErrorBody} (a proxy's page, say) still gives a typed error, by status.
 */
export function decodePushErrorBody(status: number, body: string): PushError {
  return decodeEndpointErrorBody(_KIND, status, body);
}
