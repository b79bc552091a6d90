/**
 * What a push target must look like before the service stores it: an APNs device token, an FCM
 * registration token or a Web Push subscription (RFC 8030 endpoint, RFC 8291 keys). Shapes only —
 * whether the provider knows it is learned from the first wake ('gone' removes it).
 * @module
 */
import { PUSH_LIMITS } from '@tacit/proto';
import { PushError, type PushTargetFields } from '@tacit/protocol';
import type { WakeTarget } from '@tacit/push-providers';

const _HEX = /^(?:[0-9a-fA-F]{2}){32,100}$/;
const _FCM = /^[A-Za-z0-9_:-]{32,2048}$/;
const _B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function _malformed(field: string, message: string): PushError {
  return new PushError('MALFORMED', field, message);
}

function _b64urlLength(value: string, field: string, want: number): Uint8Array {
  if (!_B64URL.test(value)) throw _malformed(field, `"${field}" expected base64url`);
  const bytes = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  if (bytes.length !== want) throw _malformed(field, `"${field}" expected ${want} bytes, got ${bytes.length}`);
  return bytes;
}

function _empty(t: PushTargetFields, fields: ReadonlyArray<keyof PushTargetFields>): void {
  for (const f of fields) {
    if (t[f]) throw _malformed(`target.${f}`, `"target.${f}" must be empty for ${t.provider}`);
  }
}

/** `t` as a {@link WakeTarget}, or PushError('MALFORMED') naming the field. The provider must already be known. */
export function checkTarget(t: PushTargetFields): WakeTarget {
  for (const f of ['token', 'endpoint', 'p256dh', 'auth'] as const) {
    const v = t[f] ?? '';
    if (v.length > PUSH_LIMITS.maxTargetLength) throw _malformed(`target.${f}`, `"target.${f}" expected at most ${PUSH_LIMITS.maxTargetLength} characters, got ${v.length}`);
  }
  switch (t.provider) {
    case 'apns':
      _empty(t, ['endpoint', 'p256dh', 'auth']);
      if (!_HEX.test(t.token ?? '')) throw _malformed('target.token', '"target.token" expected an APNs device token (64..200 hex digits)');
      return { provider: 'apns', token: t.token! };
    case 'fcm':
      _empty(t, ['endpoint', 'p256dh', 'auth']);
      if (!_FCM.test(t.token ?? '')) throw _malformed('target.token', '"target.token" expected an FCM registration token (32..2048 of A-Z a-z 0-9 _ : -)');
      return { provider: 'fcm', token: t.token! };
    case 'webpush': {
      _empty(t, ['token']);
      let u: URL;
      try {
        u = new URL(t.endpoint ?? '');
      } catch {
        throw _malformed('target.endpoint', '"target.endpoint" expected an https URL');
      }
      if (u.protocol !== 'https:' || u.username || u.password || u.hash) throw _malformed('target.endpoint', '"target.endpoint" expected an https URL without credentials or fragment');
      const point = _b64urlLength(t.p256dh ?? '', 'target.p256dh', 65);
      if (point[0] !== 0x04) throw _malformed('target.p256dh', '"target.p256dh" expected an uncompressed P-256 point');
      _b64urlLength(t.auth ?? '', 'target.auth', 16);
      return { provider: 'webpush', endpoint: t.endpoint!, p256dh: t.p256dh!, auth: t.auth! };
    }
    default:
      throw _malformed('target.provider', '"target.provider" expected apns, fcm or webpush');
  }
}
