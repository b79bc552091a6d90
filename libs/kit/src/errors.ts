/**
 * Typed errors that survive a bus hop: a responder throws one, the requester gets the same class
 * back (code and message travel in `Tacit-Error-Code` / `Tacit-Error-Message` headers).
 * @module
 */

/** Every code a {@link TacitError} can carry; the wire value of `Tacit-Error-Code`. */
export type TacitErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'unauthorized'
  | 'resource_exhausted'
  | 'unavailable'
  | 'timeout'
  | 'no_responders'
  | 'internal';

/** Header carrying the {@link TacitErrorCode} of a failed reply. */
export const ERROR_CODE_HEADER = 'Tacit-Error-Code';
/** Header carrying the message of a failed reply. */
export const ERROR_MESSAGE_HEADER = 'Tacit-Error-Message';

// Header values are single-line and bounded: a message must not be able to smuggle a header or
// bloat every error reply.
const _MAX_MESSAGE = 512;

/** Base of every typed failure: `code` names it on the wire, `retryable` says whether trying again later can succeed. */
export abstract class TacitError extends Error {
  abstract readonly code: TacitErrorCode;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The caller sent something malformed or out of range; retrying the same input fails again. */
export class InvalidArgumentError extends TacitError {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'invalid_argument';
  readonly retryable = false;
}

/** The addressed thing does not exist (or no longer does). */
export class NotFoundError extends TacitError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
  readonly retryable = false;
}

/** The caller could not prove it may do this (e.g. mailbox ownership). */
export class UnauthorizedError extends TacitError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'unauthorized';
  readonly retryable = false;
}

/** A quota or capacity is exhausted (mailbox full, rate limit); retry later. */
export class ResourceExhaustedError extends TacitError {
  override readonly name = 'ResourceExhaustedError';
  readonly code = 'resource_exhausted';
  readonly retryable = true;
}

/** A dependency (bus, database, store) is unreachable right now; retry later. */
export class UnavailableError extends TacitError {
  override readonly name = 'UnavailableError';
  readonly code = 'unavailable';
  readonly retryable = true;
}

/** No answer arrived in time; the operation may or may not have happened. */
export class TimeoutError extends TacitError {
  override readonly name = 'TimeoutError';
  readonly code = 'timeout';
  readonly retryable = true;
}

/** Nobody serves the requested subject (the service is down or not deployed, or a mailbox has no owner online). */
export class NoRespondersError extends TacitError {
  override readonly name = 'NoRespondersError';
  readonly code = 'no_responders';
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    // Expected control flow on a hot path (every packet for an offline mailbox): a stack trace
    // costs more than the rest of the request and says nothing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** A bug or unexpected failure; details stay in the responder's log, not on the wire. */
export class InternalError extends TacitError {
  override readonly name = 'InternalError';
  readonly code = 'internal';
  readonly retryable = false;
}

type _ErrorClass = new (message: string, options?: ErrorOptions) => TacitError;

const _BY_CODE: Record<TacitErrorCode, _ErrorClass> = {
  invalid_argument: InvalidArgumentError,
  not_found: NotFoundError,
  unauthorized: UnauthorizedError,
  resource_exhausted: ResourceExhaustedError,
  unavailable: UnavailableError,
  timeout: TimeoutError,
  no_responders: NoRespondersError,
  internal: InternalError,
};

/** True for any {@link TacitError} subclass instance. */
export function isTacitError(err: unknown): err is TacitError {
  return err instanceof TacitError;
}

/** Builds the typed error for a wire code; an unknown code becomes an {@link InternalError}. */
export function errorFromCode(code: string, message: string, options?: ErrorOptions): TacitError {
  const Ctor = Object.hasOwn(_BY_CODE, code) ? _BY_CODE[code as TacitErrorCode] : InternalError;
  return new Ctor(message, options);
}

/**
 * Returns `err` if it is typed already, else wraps it in an {@link InternalError} with a generic
 * message (the original stays as `cause`, for local logs only).
 */
export function toTacitError(err: unknown): TacitError {
  if (err instanceof TacitError) return err;
  return new InternalError('internal error', { cause: err });
}

/** Header pairs describing `err` for a reply; untyped errors travel as `internal` without their message. */
export function errorToHeaders(err: unknown): Record<string, string> {
  const typed = toTacitError(err);
  return { [ERROR_CODE_HEADER]: typed.code, [ERROR_MESSAGE_HEADER]: _sanitizeMessage(typed.message) };
}

/** Rebuilds the typed error from reply headers, or `undefined` when the reply is not an error. */
export function errorFromHeaders(get: (name: string) => string | undefined): TacitError | undefined {
  const code = get(ERROR_CODE_HEADER);
  if (!code) return undefined;
  return errorFromCode(code, get(ERROR_MESSAGE_HEADER) ?? '');
}

function _sanitizeMessage(message: string): string {
  // eslint-disable-next-line no-control-regex
  const line = message.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length > _MAX_MESSAGE ? `${line.slice(0, _MAX_MESSAGE - 3)}...` : line;
}
