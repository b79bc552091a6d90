// Wire error codes and the WebSocket close codes that go with them. Both tables are part of the
// v1 contract: a code never changes meaning; new codes arrive only with a new protocol version.

/** Error codes carried in ERROR frames (u16 on the wire). */
export const ErrorCode = Object.freeze({
  MALFORMED_FRAME: 1,
  UNSUPPORTED_VERSION: 2,
  HELLO_REQUIRED: 3,
  BAD_PROOF: 4,
  RATE_LIMITED: 5,
  FRAME_TOO_LARGE: 6,
  MAILBOX_FULL: 7,
  UNKNOWN_PACKET: 8,
  UNAVAILABLE: 9,
  IDLE_TIMEOUT: 10,
  TOO_MANY_CLAIMS: 11,
  INTERNAL: 12,
} as const);

/** Name of a wire error code, e.g. `'MALFORMED_FRAME'`. */
export type ErrorCodeName = keyof typeof ErrorCode;
/** Numeric wire error code, e.g. `1`. */
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** WebSocket close codes the gateway uses. */
export const CloseCode = Object.freeze({
  /** RFC 6455 "message too big": sent after FRAME_TOO_LARGE. */
  FRAME_TOO_LARGE: 1009,
  /** RFC 6455 "service restart": sent after GOAWAY when the gateway drains. */
  SERVICE_RESTART: 1012,
  MALFORMED_FRAME: 4400,
  HELLO_REQUIRED: 4401,
  IDLE_TIMEOUT: 4408,
  UNSUPPORTED_VERSION: 4426,
  /** Only when a client keeps flooding after RATE_LIMITED errors; gateway policy decides when. */
  RATE_LIMITED: 4429,
} as const);

const _CLOSE_AFTER: ReadonlyMap<number, number> = new Map<number, number>([
  [ErrorCode.MALFORMED_FRAME, CloseCode.MALFORMED_FRAME],
  [ErrorCode.UNSUPPORTED_VERSION, CloseCode.UNSUPPORTED_VERSION],
  [ErrorCode.HELLO_REQUIRED, CloseCode.HELLO_REQUIRED],
  [ErrorCode.FRAME_TOO_LARGE, CloseCode.FRAME_TOO_LARGE],
  [ErrorCode.IDLE_TIMEOUT, CloseCode.IDLE_TIMEOUT],
]);

const _NAMES: ReadonlyMap<number, ErrorCodeName> = new Map(
  (Object.entries(ErrorCode) as [ErrorCodeName, ErrorCodeValue][]).map(([k, v]) => [v, k]),
);

/**
 * Close code that must follow an ERROR with `code`, or undefined when the connection stays open.
 * RATE_LIMITED stays open here: closing with 4429 on persistent flooding is the gateway's call.
 */
export function closeCodeFor(code: number): number | undefined {
  return _CLOSE_AFTER.get(code);
}

/** Name of a wire error code, or undefined for a code v1 does not define. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return _NAMES.get(code);
}

/**
 * A frame, packet or padded plaintext that does not decode, or a peer that speaks no common
 * version. `code` is the wire error code to answer with, `field` the offending field.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Wire error code (see {@link ErrorCode}). */
  readonly code: ErrorCodeValue;
  /** Field that failed, as named in docs/protocol.md (e.g. `'destHash'`, `'type'`, `'frame'`). */
  readonly field: string;

  constructor(code: ErrorCodeValue, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }

  /** Name of {@link code}, e.g. `'MALFORMED_FRAME'`. */
  get codeName(): ErrorCodeName {
    return _NAMES.get(this.code) as ErrorCodeName;
  }
}
