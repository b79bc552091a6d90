// MEDIA_DOWNLOADS=redirect on a real MinIO: a GET is checked by the service (id, expiry, Range,
// limits) and answered 307 to a presigned GetObject signed for S3_PUBLIC_ENDPOINT; the client (fetch,
// as the SDK) follows it with its Range, and the bytes come from S3, not through the service.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { downloadMedia, uploadMedia, type MediaDescriptor } from '@tacit/sdk';
import { loadSettings } from '@tacit/platform';
import { earlyInWindow } from '@tacit/testing';
import { mediaServiceConfigSchema, mediaSettingsIssues } from './config.js';
import { bytesOf, call, create, errorOf, patch, sharedMinio, startMedia, stopSharedMinio } from './spec-fixtures.js';

after(() => stopSharedMinio());

/** The same MinIO under another host name: what clients reach, unlike the service's S3_ENDPOINT. */
async function publicEndpoint(): Promise<string> {
  const u = new URL((await sharedMinio()).endpoint);
  u.hostname = 'localhost';
  return u.origin;
}

describe('media downloads redirected to presigned S3 URLs (MEDIA_DOWNLOADS=redirect)', () => {
  it('answers a GET 307 to a URL on S3_PUBLIC_ENDPOINT that serves the blob, whole and by the Range the client repeats', async () => {
    const pub = await publicEndpoint();
    const sut = await startMedia('s3', { MEDIA_DOWNLOADS: 'redirect', S3_PUBLIC_ENDPOINT: pub });
    try {
      const blob = await bytesOf(3 * 2 ** 20 + 17, 7);
      const id = await create(sut.url, blob.length);
      assert.equal((await patch(sut.url, id, 0, blob)).status, 204);
      const r = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET', { range: 'bytes=10-19' });
      assert.equal(r.status, 307);
      const location = String(r.headers.location);
      assert.ok(location.startsWith(`${pub}/`), `signed for the public endpoint: ${location.slice(0, 60)}`);
      assert.match(location, /X-Amz-Signature=[0-9a-f]{64}/);
      assert.ok(!location.includes((await sharedMinio()).secretKey), 'no secret in the URL');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.body.length, 0, 'no blob byte through the service');
      // fetch follows it, Range and all: S3 answers the 206.
      const ranged = await fetch(`${sut.url}/v1/media/blobs/${id}`, { headers: { range: 'bytes=1000-2047' } });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers.get('content-range'), `bytes 1000-2047/${blob.length}`);
      assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(blob.subarray(1000, 2048)));
      const whole = await fetch(`${sut.url}/v1/media/blobs/${id}`);
      assert.equal(whole.status, 200);
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(blob), 'bit-exact');
      // HEAD stays with the service (no URL handed out for it).
      const head = await call(`${sut.url}/v1/media/blobs/${id}`, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(blob.length));
      const s = sut.media.stats();
      assert.equal(s.redirected, 3);
      assert.equal(s.bytesServed, 0, 'the service served no byte');
    } finally {
      await sut.close();
    }
  });

  it('checks before it signs: unknown or expired id 404, a Range past the end 416, the rate limit 429 — no URL in any of them', async () => {
    const sut = await startMedia('s3', { MEDIA_DOWNLOADS: 'redirect', MEDIA_EXPIRY: '2s', MEDIA_REQUESTS_PER_MINUTE: '6' });
    try {
      // Seven requests over ~3 s, the seventh past a per-minute window of six: all in one window.
      await earlyInWindow(60_000, 15_000);
      const blob = await bytesOf(1000, 3);
      const id = await create(sut.url, blob.length);
      assert.equal((await patch(sut.url, id, 0, blob)).status, 204);
      const unknown = await call(`${sut.url}/v1/media/blobs/${'A'.repeat(24)}`, 'GET');
      assert.equal(unknown.status, 404);
      assert.equal(errorOf(unknown).code, 'NOT_FOUND');
      const past = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET', { range: 'bytes=1000-' });
      assert.equal(past.status, 416);
      assert.equal(past.headers['content-range'], 'bytes */1000');
      assert.equal((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).status, 307);
      await sleep(2100);
      const expired = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
      assert.equal(expired.status, 404, 'expired: no URL, though S3 still holds it until the sweep');
      const limited = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
      assert.equal(limited.status, 429);
      assert.equal(errorOf(limited).code, 'RATE_LIMITED');
      for (const a of [unknown, past, expired, limited]) assert.equal(a.headers.location, undefined);
    } finally {
      await sut.close();
    }
  });

  it('hands out URLs that S3 refuses after MEDIA_REDIRECT_TTL', async () => {
    const sut = await startMedia('s3', { MEDIA_DOWNLOADS: 'redirect', MEDIA_REDIRECT_TTL: '1s' });
    try {
      const blob = await bytesOf(100, 4);
      const id = await create(sut.url, blob.length);
      assert.equal((await patch(sut.url, id, 0, blob)).status, 204);
      const location = String((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).headers.location);
      assert.equal((await fetch(location)).status, 200);
      await sleep(2100);
      assert.equal((await fetch(location)).status, 403, 'expired URL');
    } finally {
      await sut.close();
    }
  });

  it("the SDK's sendMedia path: an encrypted upload, then downloadMedia through the redirect, bit-exact", async () => {
    const sut = await startMedia('s3', { MEDIA_DOWNLOADS: 'redirect', MEDIA_MAX_BLOB_BYTES: '64MiB' });
    try {
      const plain = await bytesOf(9 * 2 ** 20 + 5, 9);
      const up = await uploadMedia(plain, { baseUrl: sut.url, allowInsecure: true, chunkSize: 5 * 2 ** 20 });
      const d: MediaDescriptor = { id: up.id, key: up.key, digest: up.digest, size: up.size, type: 'application/octet-stream', url: sut.url };
      const parts: Uint8Array[] = [];
      for await (const p of downloadMedia(d, { allowInsecure: true, rangeSize: 4 * 2 ** 20 })) parts.push(p);
      assert.ok(Buffer.concat(parts).equals(plain), 'bit-exact');
      assert.ok(sut.media.stats().redirected >= 3, `${sut.media.stats().redirected} ranged GETs redirected`);
      assert.equal(sut.media.stats().bytesServed, 0);
    } finally {
      await sut.close();
    }
  });

  it('refuses redirect with the folder store at boot (the setting named)', () => {
    const issues = mediaSettingsIssues({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, MEDIA_DOWNLOADS: 'redirect', MEDIA_STORE: 'fs' });
    assert.deepEqual(issues.map((i) => i.key), ['MEDIA_DOWNLOADS']);
    assert.throws(() => loadSettings(mediaServiceConfigSchema, { REDIS_URL: 'redis://127.0.0.1:1', MEDIA_STORE: 'fs', MEDIA_DOWNLOADS: 'redirect' }, ['MEDIA_', 'S3_'], [mediaSettingsIssues]), /MEDIA_DOWNLOADS/);
    assert.deepEqual(mediaSettingsIssues({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, MEDIA_DOWNLOADS: 'redirect', MEDIA_STORE: 's3' }), []);
  });
});
