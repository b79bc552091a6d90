import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { PushTargetError } from './errors.js';
import type { WakeTarget } from './sender.js';
import { validateTarget } from './target.js';
import { parseRetryAfter } from './_shared.js';

function p256dh(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]).toString('base64url');
}

const web = { provider: 'webpush', endpoint: 'https://push.example/s/abc', p256dh: p256dh(), auth: randomBytes(16).toString('base64url') } as const;

function refused(t: unknown, field: string): void {
  assert.throws(
    () => validateTarget(t as WakeTarget),
    (e: unknown) => e instanceof PushTargetError && e.name === 'PushTargetError' && e.code === 'MALFORMED' && e.field === field,
    JSON.stringify(t)?.slice(0, 80),
  );
}

describe(validateTarget.name, () => {
  it('accepts well-formed APNs tokens, FCM tokens and Web Push subscriptions', () => {
    validateTarget({ provider: 'apns', token: 'aB'.repeat(32) });
    validateTarget({ provider: 'apns', token: '0'.repeat(200) });
    validateTarget({ provider: 'fcm', token: 'dGVzdA:APA91b_x-y' });
    validateTarget({ provider: 'fcm', token: 'x'.repeat(4096) });
    validateTarget(web);
    validateTarget({ ...web, endpoint: 'https://127.0.0.1:8443/push/x' }, { allowPrivateHosts: true });
    validateTarget({ ...web, endpoint: 'https://[2001:db8::1]/push/x' });
  });

  it('refuses APNs tokens that are not 64-200 hex digits', () => {
    for (const token of ['', 'a'.repeat(63), 'a'.repeat(201), 'g'.repeat(64), `${'a'.repeat(64)} `, 42]) refused({ provider: 'apns', token }, 'token');
  });

  it('refuses FCM tokens that are empty, over 4096 characters or not printable ASCII', () => {
    for (const token of ['', 'x'.repeat(4097), 'a b', 'a\u0000b', 'é', null]) refused({ provider: 'fcm', token }, 'token');
  });

  it('refuses Web Push subscriptions with a bad endpoint, p256dh or auth', () => {
    for (const endpoint of ['', 'push.example/s', 'http://push.example/s', 'ftp://x/y', 'https://u:p@push.example/s', `https://x/${'a'.repeat(2048)}`]) refused({ ...web, endpoint }, 'endpoint');
    const point = Buffer.from(web.p256dh, 'base64url');
    const compressed = Buffer.concat([Buffer.from([2]), point.subarray(1, 33)]).toString('base64url');
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
    for (const p of ['', compressed, offCurve, `${web.p256dh}AA`, 'not base64!', undefined]) refused({ ...web, p256dh: p }, 'p256dh');
    for (const auth of ['', randomBytes(15).toString('base64url'), randomBytes(17).toString('base64url'), 'a.b']) refused({ ...web, auth }, 'auth');
  });

  it('refuses Web Push endpoints on private, loopback and single-label hosts unless allowed', () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:127.0.0.1]', 'localhost', 'push.localhost', 'intranet']) {
      const t = { ...web, endpoint: `https://${host}/push/x` };
      refused(t, 'endpoint');
      validateTarget(t, { allowPrivateHosts: true });
    }
  });

  it('refuses an unknown provider and a non-object', () => {
    refused({ provider: 'sms', token: 'x' }, 'provider');
    refused(null, 'provider');
    refused('apns', 'provider');
  });
});

describe(parseRetryAfter.name, () => {
  it('reads delta-seconds and HTTP dates, clamps to an hour, and ignores junk', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(['3'], now), 3000);
    assert.equal(parseRetryAfter('Thu, 03 Dec 2026 12:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Thu, 03 Dec 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('999999', now), 3_600_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('-1', now), undefined);
  });
});
