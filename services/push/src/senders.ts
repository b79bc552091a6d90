/**
 * Where the push service gets its providers' {@link WakeSender}s: a factory from the configured
 * {@link ProviderSettings}. The module's default is {@link providerSenders}; specs and the bench pass
 * their own (a sender that records wakes and answers programmed outcomes stands for a provider).
 * @module
 */
import type { Logger } from '@tacit/kit';
import type { WakeSender } from '@tacit/push-providers';
import type { ProviderSettings } from './config.js';

/** Makes one sender per configured provider. */
export type SenderFactory = (providers: ProviderSettings, log: Logger) => readonly WakeSender[] | Promise<readonly WakeSender[]>;

/**
 * The real senders of @tacit/push-providers, one per configured provider.
 * TODO(lead): wire @tacit/push-providers' APNs, FCM and Web Push senders here once that library
 * lands (it is built in parallel against the WakeSender contract). Until then a configured provider
 * is logged and left out, so its registrations answer UNSUPPORTED rather than pile up unsent.
 */
export const providerSenders: SenderFactory = (providers, log) => {
  for (const p of Object.keys(providers)) log.warn('push_provider_not_wired', { provider: p });
  return [];
};
