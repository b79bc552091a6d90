// Shape checks for push targets, run when a device registers one, so a target no provider could
// ever accept is refused with a typed error instead of costing a provider round trip per wake.
import { createPublicKey } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { PushTargetError } from './errors.js';
import { b64url } from './jwt.js';
import type { WakeTarget } from './sender.js';

/** Longest FCM registration token accepted (real ones are ~160-200 characters). */
export const MAX_FCM_TOKEN = 4096;
/** Longest Web Push endpoint URL accepted. */
export const MAX_WEBPUSH_ENDPOINT = 2048;

const _APNS_TOKEN = /^[0-9a-fA-F]{64,200}$/;
const _PRINTABLE = /^[\x21-\x7e]+$/;
const _B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** How strict {@link validateTarget} is. */
export interface ValidateTargetOptions {
  /**
   * Accept Web Push endpoints on loopback, private, link-local or unspecified addresses and
   * `localhost` (default false: a subscription is chosen by the client, and the push service would
   * POST wherever it points — tests' local push services need this on).
   */
  readonly allowPrivateHosts?: boolean;
}

// Addresses a client-chosen endpoint must not reach from inside the operator's network.
const _PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  _PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::ffff:0:0', 96]] as const) _PRIVATE.addSubnet(net, bits, 'ipv6');

function _privateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  if (family === 4) return _PRIVATE.check(host, 'ipv4');
  if (family === 6) return _PRIVATE.check(host, 'ipv6');
  return host === 'localhost' || host.endsWith('.localhost') || !host.includes('.');
}

function _fail(field: string, message: string): never {
  throw new PushTargetError('MALFORMED', field, message);
}

function _b64urlBytes(field: string, value: unknown, want: number): Buffer {
  if (typeof value !== 'string' || !_B64URL.test(value)) _fail(field, `"${field}" expected base64url, got ${typeof value === 'string' ? 'other characters' : typeof value}`);
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== want) _fail(field, `"${field}" expected ${want} bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * Throws {@link PushTargetError} (code MALFORMED, `field` naming the part) unless `target` is
 * well formed: an APNs token of 64-200 hex digits; an FCM token of 1-4096 printable ASCII
 * characters; a Web Push subscription with an https endpoint (web-push only speaks https) on a
 * public host (unless `allowPrivateHosts`), a p256dh that is an uncompressed P-256 point (65
 * bytes, 0x04 first) and a 16-byte auth secret. A DNS name that resolves to a private address is
 * not caught here: the operator's egress policy (or an allowlist of push services) covers that.
 */
export function validateTarget(target: WakeTarget, opts: ValidateTargetOptions = {}): void {
  if (typeof target !== 'object' || target === null) _fail('provider', `target expected an object, got ${target === null ? 'null' : typeof target}`);
  switch (target.provider) {
    case 'apns':
      if (typeof target.token !== 'string' || !_APNS_TOKEN.test(target.token)) {
        _fail('token', `"token" expected 64-200 hex digits, got ${typeof target.token === 'string' ? `${target.token.length} characters` : typeof target.token}`);
      }
      return;
    case 'fcm':
      if (typeof target.token !== 'string' || target.token.length === 0 || target.token.length > MAX_FCM_TOKEN || !_PRINTABLE.test(target.token)) {
        _fail('token', `"token" expected 1-${MAX_FCM_TOKEN} printable ASCII characters, got ${typeof target.token === 'string' ? `${target.token.length} characters` : typeof target.token}`);
      }
      return;
    case 'webpush': {
      if (typeof target.endpoint !== 'string' || target.endpoint.length > MAX_WEBPUSH_ENDPOINT) {
        _fail('endpoint', `"endpoint" expected a URL of at most ${MAX_WEBPUSH_ENDPOINT} characters`);
      }
      let url: URL;
      try {
        url = new URL(target.endpoint);
      } catch {
        _fail('endpoint', '"endpoint" expected a URL');
      }
      if (url.protocol !== 'https:') _fail('endpoint', `"endpoint" expected https:, got ${url.protocol}`);
      if (url.username || url.password) _fail('endpoint', '"endpoint" expected no credentials in the URL');
      if (!opts.allowPrivateHosts && _privateHost(url.hostname)) _fail('endpoint', '"endpoint" expected a public host, got a private, loopback or single-label one');
      const p256dh = _b64urlBytes('p256dh', target.p256dh, 65);
      if (p256dh[0] !== 0x04) _fail('p256dh', '"p256dh" expected an uncompressed point (0x04 first)');
      try {
        createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(p256dh.subarray(1, 33)), y: b64url(p256dh.subarray(33)) }, format: 'jwk' });
      } catch (cause) {
        throw new PushTargetError('MALFORMED', 'p256dh', '"p256dh" expected a point on P-256', { cause });
      }
      _b64urlBytes('auth', target.auth, 16);
      return;
    }
    default:
      _fail('provider', `"provider" expected apns, fcm or webpush, got ${String((target as { provider?: unknown }).provider).slice(0, 16)}`);
  }
}
