import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { b64url } from '../jwt.js';
import { AnswerQueue, MAX_RECORDED, record } from './_fake.js';
import { positiveSerial, selfSignedCert } from './cert.js';
import { startFakeFcm } from './fake-fcm.js';

function post(url: string, ca: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', ca, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe(selfSignedCert.name, () => {
  it('names the hosts given, is valid now and signed by its own key', () => {
    const { cert } = selfSignedCert(['127.0.0.1', 'localhost', '::1']);
    const x = new X509Certificate(cert);
    assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1');
    assert.ok(x.verify(x.publicKey));
    assert.ok(Date.parse(x.validFrom) < Date.now() && Date.now() < Date.parse(x.validTo));
    assert.throws(() => selfSignedCert([]), RangeError);
  });

  it('gives a serial that is a positive, minimal DER INTEGER whatever the random bytes', () => {
    // 0x00 0x00…: the old "clear the top bit" left a padding zero OpenSSL refuses (1 cert in 512).
    for (const first of [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xff]) {
      const b = positiveSerial(Buffer.from([first, 0x00, 0x00]));
      assert.ok(b[0]! >= 0x40 && b[0]! <= 0x7f, `first byte 0x${first.toString(16)} → 0x${b[0]!.toString(16)}`);
    }
    assert.throws(() => positiveSerial(Buffer.alloc(0)), RangeError);
    // And certificates load where the fakes load them: a TLS context (200 keys, 200 serials).
    for (let i = 0; i < 200; i++) {
      const { cert, key } = selfSignedCert();
      assert.doesNotThrow(() => createSecureContext({ cert, key }), `certificate ${i}`);
    }
  });
});

describe('local provider bounds', () => {
  it('keeps at most MAX_RECORDED records and 1000 programmed answers', () => {
    const list: number[] = [];
    for (let i = 0; i < MAX_RECORDED + 5; i++) record(list, i);
    assert.equal(list.length, MAX_RECORDED);
    const q = new AnswerQueue();
    for (let i = 0; i < 1000; i++) q.push({ status: 500 });
    assert.throws(() => q.push({ status: 500 }), RangeError);
    assert.throws(() => new AnswerQueue().push({ status: 500 }, 0), RangeError);
    const r = new AnswerQueue();
    r.push({ status: 429 }, 2);
    assert.deepEqual([r.next(), r.next(), r.next()], [{ status: 429 }, { status: 429 }, undefined]);
  });
});

describe(startFakeFcm.name, () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const assertion = (claims: Record<string, unknown>): string => {
    const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), privateKey))}`;
  };
  const now = (): number => Math.floor(Date.now() / 1000);
  const good = { iss: 'a@b.c', aud: 'https://oauth2.googleapis.com/token', scope: 'https://www.googleapis.com/auth/firebase.messaging', iat: now(), exp: now() + 3600 };
  const form = (a: string): string => new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: a }).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  it('verifies the assertion (issuer, audience, scope, lifetime) and counts a message carrying content', async () => {
    const sut = await startFakeFcm({ projectId: 'p', clientEmail: 'a@b.c', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    try {
      for (const bad of [{ iss: 'x@b.c' }, { aud: 'https://evil.example/token' }, { scope: 'https://www.googleapis.com/auth/cloud-platform' }, { exp: now() - 1 }, { exp: now() + 7200 }]) {
        const r = await post(sut.url, sut.ca, '/token', formHeaders, form(assertion({ ...good, ...bad })));
        assert.equal(r.status, 400, JSON.stringify(bad));
      }
      const ok = await post(sut.url, sut.ca, '/token', formHeaders, form(assertion(good)));
      assert.equal(ok.status, 200);
      const token = (JSON.parse(ok.body) as { access_token: string }).access_token;
      const unauth = await post(sut.url, sut.ca, '/v1/projects/p/messages:send', { authorization: 'Bearer nope' }, '{"message":{"token":"t"}}');
      assert.equal(unauth.status, 401);
      const message = { message: { token: 't', data: { wake: '1' }, notification: { title: 'hi' } } };
      const sent = await post(sut.url, sut.ca, '/v1/projects/p/messages:send', { authorization: `Bearer ${token}` }, JSON.stringify(message));
      assert.equal(sent.status, 200);
      assert.equal(sut.carriedContent, 1);
      const other = await post(sut.url, sut.ca, '/v1/projects/q/messages:send', { authorization: `Bearer ${token}` }, '{"message":{"token":"t","data":{"wake":"1"}}}');
      assert.equal(other.status, 403);
      assert.equal(sut.carriedContent, 1);
    } finally {
      await sut.close();
    }
  });
});
