// Errors of the push endpoints (docs/push.md): a code, the HTTP status that carries it, and the JSON
// body both sides read — the same shape as the prekey endpoints' (prekey-errors.ts). The push
// service's refusals are tacit.push.v1.PushStatus names without the prefix; the gateway adds its own.
import { _typeName } from './_bytes.js';

/** HTTP status of each push error code. Codes never change meaning; new ones may be added. */
export const PUSH_ERROR_STATUS = Object.freeze({
  /** A field of the wrong length, count or format (a dest that is not 32 bytes, a bad token or subscription). */
  MALFORMED: 400,
  /** The signature does not verify under the peer key. */
  BAD_PROOF: 401,
  /** issued_at outside the service's clock window, or not newer than the peer key's last request. */
  STALE: 409,
  /** Nothing registered under the peer key. */
  NOT_FOUND: 404,
  /** Another method than POST (or OPTIONS). */
  BAD_METHOD: 405,
  /** The body did not arrive in time. */
  TIMEOUT: 408,
  /** The body is longer than the endpoint takes. */
  TOO_LARGE: 413,
  /** A provider this deployment is not configured for. */
  UNSUPPORTED: 422,
  /** Too many registrations from this client or for this target; retry later. */
  RATE_LIMITED: 429,
  /** A bug. */
  INTERNAL: 500,
  /** The service cannot answer now (draining, its database down); retry. */
  UNAVAILABLE: 503,
} as const);

/** A push error code, e.g. `'BAD_PROOF'`. */
export type PushErrorCode = keyof typeof PUSH_ERROR_STATUS;

/** Whether `code` is a push error code. */
export function isPushErrorCode(code: unknown): code is PushErrorCode {
  return typeof code === 'string' && Object.hasOwn(PUSH_ERROR_STATUS, code);
}

/** A push request refused, by the push service or the gateway. `field` names the offending field; messages carry no key bytes or tokens. */
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

  /** Whether trying again later (unchanged, or re-signed for STALE) can succeed. */
  get retryable(): boolean {
    return this.code === 'RATE_LIMITED' || this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT';
  }
}

const _MAX_TEXT = 512;

/** The JSON body of an error answer: `{"code","field","message"}`, the message cut to 512 characters. */
export function encodePushErrorBody(err: PushError): string {
  return JSON.stringify({ code: err.code, field: err.field.slice(0, 128), message: err.message.slice(0, _MAX_TEXT) });
}

/** The error an answer with HTTP `status` and `body` carries; a body that is not ours still gives a typed error, by status. */
export function decodePushErrorBody(status: number, body: string): PushError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const o = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (isPushErrorCode(o.code)) {
    const field = typeof o.field === 'string' ? o.field.slice(0, 128) : '';
    const message = typeof o.message === 'string' ? o.message.slice(0, _MAX_TEXT) : o.code;
    return new PushError(o.code, field, message);
  }
  const code: PushErrorCode =
    status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'TOO_LARGE' : status >= 500 ? 'UNAVAILABLE' : 'MALFORMED';
  return new PushError(code, 'response', `HTTP ${status} without a push error body (${_typeName(parsed)})`);
}
