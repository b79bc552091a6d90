// The contract between the push service and the providers' senders. A sender turns every answer a
// provider can give into a WakeOutcome and never throws for one: the push service decides retries,
// removals and alerts from the outcome alone, and a provider's failure never reaches message delivery.

/** Where a wake goes: an APNs device token, an FCM registration token or a Web Push subscription. */
export type WakeTarget =
  | { readonly provider: 'apns'; readonly token: string }
  | { readonly provider: 'fcm'; readonly token: string }
  | { readonly provider: 'webpush'; readonly endpoint: string; readonly p256dh: string; readonly auth: string };

export type WakeProvider = WakeTarget['provider'];

/** What became of one wake. */
export type WakeOutcome =
  /** The provider took it (APNs 200, FCM 200, Web Push 201/202). */
  | { readonly kind: 'sent' }
  /** Try again later: 429, 5xx, a timeout or a lost connection; `retryAfterMs` when the provider said. */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /** The target is gone or was never valid (APNs 410/Unregistered/BadDeviceToken, FCM UNREGISTERED, Web Push 404/410): remove it. */
  | { readonly kind: 'gone'; readonly reason: string }
  /** Our own credentials were refused (an expired or revoked key, a bad service account): keep the target, alert, retry later. */
  | { readonly kind: 'refused'; readonly reason: string };

/** Sends content-free wakes to one provider. */
export interface WakeSender {
  readonly provider: WakeProvider;
  /** Sends one wake to `target`; resolves with its outcome (never rejects for a provider's answer). */
  wake(target: WakeTarget, signal?: AbortSignal): Promise<WakeOutcome>;
  /** Closes connections and timers. */
  close(): Promise<void>;
}
