/**
 * Where the push service gets its providers' {@link WakeSender}s: a factory from the configured
 * {@link ProviderSettings}. The module's default is {@link providerSenders}; specs and the bench may
 * pass their own (a sender that records wakes and answers programmed outcomes stands for a provider).
 * @module
 */
import { rootCertificates } from 'node:tls';
import type { Logger } from '@tacit/kit';
import { createApnsSender, createFcmSender, createWebPushSender, type WakeSender } from '@tacit/push-providers';
import type { ProviderSettings } from './config.js';

/** Makes one sender per configured provider. */
export type SenderFactory = (providers: ProviderSettings, log: Logger) => readonly WakeSender[] | Promise<readonly WakeSender[]>;

/** The real senders of @tacit/push-providers, one per configured provider. */
export const providerSenders: SenderFactory = (providers) => {
  const { timeoutMs, maxInFlight, ca, allowPrivateHosts } = providers.common;
  // A `ca` replaces Node's trusted roots: the extra CA goes beside them, not instead.
  const tls = ca === undefined ? {} : { ca: [...rootCertificates, ca].join('\n') };
  const out: WakeSender[] = [];
  if (providers.apns) {
    const a = providers.apns;
    out.push(createApnsSender({ keyPem: a.key, keyId: a.keyId, teamId: a.teamId, topic: a.topic, endpoint: a.endpoint, timeoutMs, maxInFlight, ...tls }));
  }
  if (providers.fcm) {
    const f = providers.fcm;
    const account = f.serviceAccount as { project_id: string; client_email: string; private_key: string };
    out.push(createFcmSender({ serviceAccount: account, ...(f.endpoint ? { endpoint: f.endpoint } : {}), timeoutMs, maxInFlight, ...tls }));
  }
  if (providers.webpush) {
    const w = providers.webpush;
    out.push(createWebPushSender({ subject: w.subject, publicKey: w.vapidPublic, privateKey: w.vapidPrivate, timeoutMs, maxInFlight, allowPrivateHosts, ...tls }));
  }
  return out;
};
