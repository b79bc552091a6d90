/**
 * Typed errors of @tacit/crypto. Messages name the field and quote the limit; they never carry
 * key, secret or plaintext bytes, so they are safe to log and to send back across NATS.
 * @module
 */

/** Machine-readable reason, stable across versions: map it, don't parse the message. */
export type CryptoErrorCode =
  /** An argument has the wrong type (not a Uint8Array, not a string, not an integer). */
  | 'BAD_TYPE'
  /** A byte array has the wrong length (key, nonce, signature, ciphertext, box). */
  | 'BAD_LENGTH'
  /** A number is outside its allowed range (output length). */
  | 'BAD_VALUE'
  /** Authentication failed: AEAD tag mismatch, forged or corrupted sealed box. */
  | 'AUTH_FAILED'
  /** X25519 gave the all-zero shared secret: the peer's public key is a low-order point. */
  | 'LOW_ORDER_POINT'
  /** A well-sized public key is not a valid key (ML-KEM coefficient not below q). */
  | 'INVALID_KEY'
  /** AES-CBC plaintext does not end in valid PKCS#7 padding (wrong key or forged ciphertext). */
  | 'BAD_PADDING';

// Brand shared by the three classes so that one `instanceof CryptoError` catches all of them,
// while length and type problems still satisfy `instanceof RangeError` / `TypeError`.
const _brand: unique symbol = Symbol.for('@tacit/crypto.error');

/** A cryptographic operation rejected its input; `instanceof` also matches the two subclasses below. */
export class CryptoError extends Error {
  override readonly name: string = 'CryptoError';
  /** Why it failed. */
  readonly code: CryptoErrorCode;
  /** The argument (or part of it) that was rejected, e.g. `publicKey`, `tag`, `box`. */
  readonly field: string;

  constructor(code: CryptoErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
    Object.defineProperty(this, _brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[_brand] === true;
  }
}

/** An argument of the wrong type; also `instanceof TypeError` and `instanceof CryptoError`. */
export class CryptoTypeError extends TypeError {
  override readonly name: string = 'CryptoTypeError';
  /** Always `BAD_TYPE`. */
  readonly code: CryptoErrorCode = 'BAD_TYPE';
  /** The argument that was rejected. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
    Object.defineProperty(this, _brand, { value: true });
  }
}

/** A length or value out of range; also `instanceof RangeError` and `instanceof CryptoError`. */
export class CryptoRangeError extends RangeError {
  override readonly name: string = 'CryptoRangeError';
  /** `BAD_LENGTH` or `BAD_VALUE`. */
  readonly code: CryptoErrorCode;
  /** The argument that was rejected. */
  readonly field: string;

  constructor(code: 'BAD_LENGTH' | 'BAD_VALUE', field: string, message: string) {
    super(message);
    this.code = code;
    this.field = field;
    Object.defineProperty(this, _brand, { value: true });
  }
}
