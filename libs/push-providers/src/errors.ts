/** The one code a {@link PushTargetError} carries today: the target cannot be a real one. */
export type PushTargetErrorCode = 'MALFORMED';

/** A push target (APNs token, FCM token, Web Push subscription) that no provider would accept. */
export class PushTargetError extends Error {
  override readonly name = 'PushTargetError';
  readonly code: PushTargetErrorCode;
  /** What failed: `'token'`, `'endpoint'`, `'p256dh'`, `'auth'` or `'provider'`. */
  readonly field: string;

  constructor(code: PushTargetErrorCode, field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}
