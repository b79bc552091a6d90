// @tacit/push-providers: senders of content-free wake signals, one per provider, behind the
// WakeSender contract the push service uses; and (from '@tacit/push-providers/testing') local
// servers that play each provider and verify what the real one verifies.
//
// What each wake carries, and nothing else:
//   APNs     POST /3/device/<token>, apns-push-type: background, apns-priority: 5 (Apple requires 5
//            for background pushes and throttles them), apns-topic: <bundle id>, apns-expiration:
//            now + ttl; body exactly {"aps":{"content-available":1}}. ES256 provider token (kid = key
//            id, iss = team id, iat), re-signed every 50 min and after any refusal. One HTTP/2
//            session, redialled after GOAWAY or an error.
//   FCM      firebase-admin send({ token, data: { wake: '1' }, android: { priority: 'high', ttl } }):
//            data-only, no notification block. `endpoint` redirects firebase-admin's sockets (both
//            its hosts are hardcoded); see fcm.ts.
//   Web Push web-push sendNotification(subscription, null, VAPID, TTL, urgency: high): no payload,
//            so no encryption either; the VAPID JWT (aud = the endpoint's origin) is web-push's.
// No sender logs; none puts a token, a subscription or a mailbox id anywhere but the provider request.
//
// Outcomes (never a rejection for a provider's answer; a malformed target rejects with PushTargetError):
//   sent     APNs 200, FCM 200, Web Push 201/202
//   gone     APNs 410 or Unregistered/BadDeviceToken/DeviceTokenNotForTopic; FCM UNREGISTERED,
//            NOT_FOUND, INVALID_ARGUMENT (our message is constant, so it is the token), an invalid
//            registration token; Web Push 404/410 — remove the target
//   refused  our credentials: APNs 403 (Expired/Invalid/MissingProviderToken) and other 4xx;
//            FCM invalid credential (the OAuth token endpoint refused the assertion), 401/403;
//            Web Push 401/403 — keep the target, alert, retry later
//   retry    429 and 5xx (retryAfterMs from Retry-After when given), a timeout (timeoutMs, default
//            10 s), a lost connection, maxInFlight (default 1000) reached ('busy'), or close()d
//
// Every option is checked when the sender is created (TypeError/RangeError naming the option).
// maxInFlight counts provider requests until they really end (firebase-admin and web-push cannot be
// cancelled, so a timed-out request may hold a socket a little longer); a wake past it is not queued.
//
// Pointing a sender at a local provider (tests, the e2e, the bench):
//   const apns = await startFakeApns({ keyId, teamId, publicKeyPem, topic });
//   createApnsSender({ keyPem, keyId, teamId, topic, endpoint: apns.url, ca: apns.ca });
//   const fcm = await startFakeFcm({ projectId, clientEmail, publicKeyPem });
//   createFcmSender({ serviceAccount, endpoint: fcm.url, ca: fcm.ca });
//   const web = await startFakeWebPush({ vapidPublicKey }); const target = web.subscription();
//   createWebPushSender({ subject, publicKey, privateKey, ca: web.ca, allowPrivateHosts: true });
// then read `.wakes` (accepted), `.answers` (every status given), `.carriedContent` (bodies beyond
// the constant wake: must stay 0), program `.answer({ status, reason, retryAfter } | { hang: true }, times)`,
// `.revokeKey()`, and `.close()`.
export { APNS_PRODUCTION, APNS_SANDBOX, APNS_TOKEN_REFRESH_MS, APNS_WAKE_BODY, createApnsSender, type ApnsSenderOptions } from './apns.js';
export { PushTargetError, type PushTargetErrorCode } from './errors.js';
export { createFcmSender, FCM_WAKE_DATA, fcmOutcome, type FcmSenderOptions } from './fcm.js';
export type { WakeOutcome, WakeProvider, WakeSender, WakeTarget } from './sender.js';
export { MAX_FCM_TOKEN, MAX_WEBPUSH_ENDPOINT, validateTarget, type ValidateTargetOptions } from './target.js';
export { createWebPushSender, webPushOutcome, type WebPushSenderOptions } from './webpush.js';
