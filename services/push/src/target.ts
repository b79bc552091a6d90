/**
 * What a push target must look like before the service stores it: an APNs device token, an FCM
 * registration token or a Web Push subscription (RFC 8030 endpoint, RFC 8291 keys). Shapes only —
 * whether the provider knows it is learned from the first wake ('gone' removes it). The shape rules
 * are @tacit/push-providers' (the senders' own, so nothing is stored that no sender would take);
 * here they get the wire's field names and the push service's error type.
 * @module
 */
import { PUSH_LIMITS } from '@tacit/proto';
import { PushError, type PushTargetFields } from '@tacit/protocol';
import { PushTargetError, validateTarget, type WakeTarget } from '@tacit/push-providers';

function _malformed(field: string, message: string): PushError {
  return new PushError('MALFORMED', field, message);
}

/** Fields the provider does not use must be empty: nothing rides along unchecked. */
function _empty(t: PushTargetFields, fields: ReadonlyArray<keyof PushTargetFields>): void {
  for (const f of fields) {
    if (t[f]) throw _malformed(`target.${f}`, `"target.${f}" must be empty for ${t.provider}`);
  }
}

/**
 * `t` as a {@link WakeTarget}, or PushError('MALFORMED') naming the field (`target.token`, …). Web
 * Push endpoints on loopback, private or single-label hosts are refused unless `allowPrivateHosts`:
 * a client chooses the endpoint and the service would POST to it.
 */
export function checkTarget(t: PushTargetFields, allowPrivateHosts = false): WakeTarget {
  for (const f of ['token', 'endpoint', 'p256dh', 'auth'] as const) {
    const v = t[f] ?? '';
    if (v.length > PUSH_LIMITS.maxTargetLength) throw _malformed(`target.${f}`, `"target.${f}" expected at most ${PUSH_LIMITS.maxTargetLength} characters, got ${v.length}`);
  }
  let target: WakeTarget;
  switch (t.provider) {
    case 'apns':
    case 'fcm':
      _empty(t, ['endpoint', 'p256dh', 'auth']);
      target = { provider: t.provider, token: t.token ?? '' };
      break;
    case 'webpush':
      _empty(t, ['token']);
      target = { provider: 'webpush', endpoint: t.endpoint ?? '', p256dh: t.p256dh ?? '', auth: t.auth ?? '' };
      break;
    default:
      throw _malformed('target.provider', '"target.provider" expected apns, fcm or webpush');
  }
  try {
    validateTarget(target, { allowPrivateHosts });
  } catch (err) {
    if (err instanceof PushTargetError) throw _malformed(`target.${err.field}`, err.message);
    throw err;
  }
  return target;
}
