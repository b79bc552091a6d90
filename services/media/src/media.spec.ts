// The media service over both stores (a folder; a real MinIO), through its HTTP endpoints as a tus
// client and a downloader use them: one shared spec, run once per store.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { earlyInWindow, startMinio, waitFor } from '@tacit/testing';
import { isBlobId } from './ids.js';
import { bytesOf, call, create, errorOf, patch, startMedia, stopSharedMinio, STORES } from './spec-fixtures.js';

const MiB = 2 ** 20;

// A collector to call: the spec's own garbage (the chunks it sent, the ones it read) would otherwise
// count as the service's memory until V8 got round to it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
const TUS = { 'Tus-Resumable': '1.0.0' };

after(() => stopSharedMinio());

/** Sends the first `sendBytes` of a PATCH that announced `bytes.length`, then cuts the connection. */
async function cutPatch(url: string, id: string, bytes: Buffer, sendBytes: number): Promise<void> {
  const req = request(`${url}/v1/media/uploads/${id}`, {
    method: 'PATCH',
    agent: false,
    headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(bytes.length) },
  });
  req.on('error', () => {});
  for (let at = 0; at < sendBytes; at += 256 * 1024) {
    if (!req.write(bytes.subarray(at, Math.min(sendBytes, at + 256 * 1024)))) await new Promise((r) => req.once('drain', r));
  }
  // Let the service take what was sent before the link drops.
  await sleep(300);
  req.destroy();
}

// A tus client and a downloader in a child process: PATCHes `size` pseudo-random bytes (made as
// they are sent) in one request, then GETs the blob; hashes both ways.
const _CLIENT = `
import { createHash } from 'node:crypto';
import { request } from 'node:http';
const [url, id, size] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const sent = createHash('sha256');
const got = createHash('sha256');
let x = 1;
await new Promise((resolve, reject) => {
  const req = request(url + '/v1/media/uploads/' + id, { method: 'PATCH', agent: false, headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(size) } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error('PATCH answered ' + res.statusCode))));
  });
  req.on('error', reject);
  (async () => {
    for (let done = 0; done < size; done += 262144) {
      const c = Buffer.allocUnsafe(Math.min(262144, size - done));
      for (let i = 0; i < c.length; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; c.writeInt32LE(x | 0, i); }
      sent.update(c);
      if (!req.write(c)) await new Promise((r) => req.once('drain', r));
    }
    req.end();
  })();
});
let n = 0;
await new Promise((resolve, reject) => {
  request(url + '/v1/media/blobs/' + id, { agent: false }, (res) => {
    res.on('data', (c) => { got.update(c); n += c.length; });
    res.on('end', resolve);
    res.on('error', reject);
  }).on('error', reject).end();
});
process.stdout.write(JSON.stringify({ sent: sent.digest('hex'), got: got.digest('hex'), n }));
`;

function runClient(url: string, id: string, size: number): Promise<{ sent: string; got: string; n: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', _CLIENT, url, id, String(size)], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(JSON.parse(stdout) as { sent: string; got: string; n: number });
    });
  });
}

async function offsetOf(url: string, id: string): Promise<number> {
  const a = await call(`${url}/v1/media/uploads/${id}`, 'HEAD', TUS);
  assert.equal(a.status, 200);
  return Number(a.headers['upload-offset']);
}

for (const kind of STORES) {
  describe(`media service over the ${kind} store`, () => {
    it('takes a tus upload cut halfway and resumed from HEAD, then serves it whole and by ranges, bit-exact', async () => {
      const sut = await startMedia(kind);
      try {
        const blob = await bytesOf(12 * MiB + 123, 7);
        const created = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(blob.length) });
        assert.equal(created.status, 201);
        const location = String(created.headers.location);
        assert.match(location, /^\/v1\/media\/uploads\/[A-Za-z0-9_-]{24}$/);
        const id = location.split('/').pop()!;

        await cutPatch(sut.url, id, blob, 6 * MiB);
        const offset = await waitFor(async () => {
          const o = await offsetOf(sut.url, id);
          return o > 0 && o;
        }, { timeoutMs: 10_000 });
        assert.ok(offset > 0 && offset <= 6 * MiB, `offset ${offset}`);
        // Not complete yet: not downloadable.
        assert.equal((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).status, 404);

        const rest = await patch(sut.url, id, offset, blob.subarray(offset));
        assert.equal(rest.status, 204, rest.body.toString());
        assert.equal(Number(rest.headers['upload-offset']), blob.length);

        const whole = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
        assert.equal(whole.status, 200);
        assert.equal(whole.headers['content-type'], 'application/octet-stream');
        assert.equal(whole.headers['accept-ranges'], 'bytes');
        assert.equal(Number(whole.headers['content-length']), blob.length);
        assert.ok(whole.body.equals(blob), 'whole download differs');

        for (const [range, start, end] of [
          ['bytes=0-0', 0, 0],
          ['bytes=5242879-5242880', 5 * MiB - 1, 5 * MiB],
          [`bytes=${blob.length - 100}-`, blob.length - 100, blob.length - 1],
          [`bytes=1000-${blob.length + 5000}`, 1000, blob.length - 1],
          ['bytes=-10', blob.length - 10, blob.length - 1],
        ] as const) {
          const part = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET', { Range: range });
          assert.equal(part.status, 206, range);
          assert.equal(part.headers['content-range'], `bytes ${start}-${end}/${blob.length}`);
          assert.ok(part.body.equals(blob.subarray(start, end + 1)), `${range} differs`);
        }
        // A web app on another origin may read it by range, and see the range it got.
        const preflight = await call(`${sut.url}/v1/media/blobs/${id}`, 'OPTIONS', { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers['access-control-allow-origin'], '*');
        assert.match(String(preflight.headers['access-control-allow-headers']), /Range/);
        const head = await call(`${sut.url}/v1/media/blobs/${id}`, 'HEAD', { Range: 'bytes=10-19' });
        assert.match(String(head.headers['access-control-expose-headers']), /Content-Range/);
        assert.equal(head.status, 206);
        assert.equal(head.headers['content-length'], '10');
        assert.equal(head.body.length, 0);

        const past = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET', { Range: `bytes=${blob.length}-` });
        assert.equal(past.status, 416);
        assert.equal(past.headers['content-range'], `bytes */${blob.length}`);
        assert.equal(errorOf(past).code, 'RANGE_NOT_SATISFIABLE');
        const multi = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET', { Range: 'bytes=0-1,4-5' });
        assert.equal(multi.status, 400);
        assert.deepEqual([errorOf(multi).code, errorOf(multi).field], ['MALFORMED', 'Range']);

        // Whoever was sent the id cannot delete the finished blob through tus's termination.
        const del = await call(`${sut.url}/v1/media/uploads/${id}`, 'DELETE', TUS);
        assert.notEqual(del.status, 204);
        assert.equal((await call(`${sut.url}/v1/media/blobs/${id}`, 'HEAD')).status, 200);
        const stats = sut.media.stats();
        assert.equal(stats.uploadsCompleted, 1);
        // The whole download and the five ranges were counted once each, with their bytes.
        assert.equal(stats.downloads, 6);
        assert.equal(stats.bytesServed, blob.length + 1 + 2 + 100 + (blob.length - 1000) + 10);
      } finally {
        await sut.close();
      }
    });

    it('keeps none of the Upload-Metadata a client sends (a file name, a type)', async () => {
      const sut = await startMedia(kind);
      try {
        const name = Buffer.from('holiday-photo.jpg').toString('base64');
        const created = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': '4', 'Upload-Metadata': `filename ${name},filetype aW1hZ2UvanBlZw==` });
        assert.equal(created.status, 201);
        const id = String(created.headers.location).split('/').pop()!;
        const head = await call(`${sut.url}/v1/media/uploads/${id}`, 'HEAD', TUS);
        assert.ok(!String(head.headers['upload-metadata'] ?? '').includes(name), 'the file name is not kept');
        assert.equal((await patch(sut.url, id, 0, Buffer.from('abcd'))).status, 204);
        const { objects } = await sut.contents();
        for (const o of objects) assert.ok(!o.includes('holiday'), o);
        if (kind === 'fs') {
          const info = readFileSync(path.join(sut.service.settings.DATA_DIR, 'media', `${id}.json`), 'utf8');
          assert.ok(info.includes('"metadata":{}'), info);
        }
        const got = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
        assert.equal(got.headers['content-type'], 'application/octet-stream');
        assert.equal(got.headers['content-disposition'], undefined);
      } finally {
        await sut.close();
      }
    });

    it('answers 404 NOT_FOUND for an unknown id and for anything not shaped like an id, before the store is asked', async () => {
      const sut = await startMedia(kind);
      try {
        for (const id of ['AAAAAAAAAAAAAAAAAAAAAAAA', 'short', 'AAAAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAA.', '..%2F..%2Fetc%2Fpasswd', 'AAAAAAAAAAAAAAAAAAAAAAAA.info']) {
          const got = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
          assert.equal(got.status, 404, id);
          assert.deepEqual([errorOf(got).code, errorOf(got).field], ['NOT_FOUND', 'id']);
          assert.equal(got.headers['content-type'], 'application/json');
        }
        assert.equal((await call(`${sut.url}/v1/media/uploads/nope`, 'HEAD', TUS)).status, 404);
        assert.equal((await call(`${sut.url}/v1/media/uploads/${'B'.repeat(24)}`, 'HEAD', TUS)).status, 404);
        assert.equal(errorOf(await call(`${sut.url}/v1/media/elsewhere`, 'GET')).code, 'NOT_FOUND');
      } finally {
        await sut.close();
      }
    });

    it('refuses an upload over the cap with 413 TOO_LARGE before storing anything, and a missing, deferred or zero length with 400 MALFORMED', async () => {
      const sut = await startMedia(kind, { MEDIA_MAX_BLOB_BYTES: '1MiB' });
      try {
        const over = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(MiB + 1) });
        assert.equal(over.status, 413);
        assert.deepEqual([errorOf(over).code, errorOf(over).field], ['TOO_LARGE', 'Upload-Length']);
        // creation-with-upload over the cap: refused before its body is read.
        const withBody = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(2 * MiB), 'Content-Type': 'application/offset+octet-stream' }, await bytesOf(64 * 1024));
        assert.equal(withBody.status, 413);
        for (const [headers, field] of [
          [{}, 'Upload-Length'],
          [{ 'Upload-Defer-Length': '1' }, 'Upload-Defer-Length'],
          [{ 'Upload-Length': '0' }, 'Upload-Length'],
          [{ 'Upload-Length': '-5' }, 'Upload-Length'],
        ] as const) {
          const a = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, ...headers });
          assert.equal(a.status, 400, JSON.stringify(headers));
          assert.deepEqual([errorOf(a).code, errorOf(a).field], ['MALFORMED', field]);
        }
        assert.deepEqual(await sut.contents(), { objects: [], multipart: [] });
        // At the cap is fine.
        const id = await create(sut.url, MiB);
        assert.equal((await patch(sut.url, id, 0, await bytesOf(MiB))).status, 204);
      } finally {
        await sut.close();
      }
    });

    it("refuses an upload past the address's daily quota with 429 QUOTA_EXCEEDED and Retry-After; a refused creation costs nothing", async () => {
      const sut = await startMedia(kind, { MEDIA_QUOTA_BYTES_PER_DAY: '3MiB', MEDIA_MAX_BLOB_BYTES: '2MiB' });
      try {
        await create(sut.url, 2 * MiB);
        const tooLarge = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(3 * MiB) });
        assert.equal(tooLarge.status, 413);
        const over = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(MiB + 1) });
        assert.equal(over.status, 429);
        assert.deepEqual([errorOf(over).code, errorOf(over).field], ['QUOTA_EXCEEDED', 'Upload-Length']);
        const retry = Number(over.headers['retry-after']);
        assert.ok(retry >= 1 && retry <= 86_400, `Retry-After ${retry}`);
        // What is left still fits.
        await create(sut.url, MiB);
        assert.equal(sut.media.stats().refused.QUOTA_EXCEEDED, 1);
      } finally {
        await sut.close();
      }
    });

    it('limits requests per minute and uploads at once per address with 429 RATE_LIMITED', async () => {
      const sut = await startMedia(kind, { MEDIA_REQUESTS_PER_MINUTE: '6', MEDIA_MAX_CONCURRENT_UPLOADS: '1' });
      try {
        await earlyInWindow(60_000, 15_000);
        const id = await create(sut.url, 1000);
        // An upload under way (its body half sent) holds the address's one upload slot.
        const slow = request(`${sut.url}/v1/media/uploads/${id}`, {
          method: 'PATCH',
          agent: false,
          headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': '1000' },
        });
        slow.on('error', () => {});
        slow.write(Buffer.alloc(10));
        await waitFor(() => sut.media.inflight.uploads === 1, { timeoutMs: 5000 });
        const second = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': '10' });
        assert.equal(second.status, 429);
        assert.equal(errorOf(second).code, 'RATE_LIMITED');
        slow.destroy();
        await waitFor(() => sut.media.inflight.uploads === 0, { timeoutMs: 5000 });
        // Requests so far: create, PATCH, POST = 3 of 6.
        for (let i = 0; i < 3; i++) assert.equal((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).status, 404);
        const limited = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
        assert.equal(limited.status, 429);
        assert.equal(errorOf(limited).code, 'RATE_LIMITED');
        assert.ok(Number(limited.headers['retry-after']) >= 1);
        // The per-address map holds no one once requests end.
        await waitFor(() => sut.media.inflight.requests === 0 && sut.media.inflight.uploaders === 0, { timeoutMs: 5000 });
      } finally {
        await sut.close();
      }
    });

    it('deletes an upload abandoned past MEDIA_UPLOAD_EXPIRY, its multipart upload aborted', async () => {
      const sut = await startMedia(kind, { MEDIA_UPLOAD_EXPIRY: '1s', MEDIA_SWEEP_INTERVAL: '1h' });
      try {
        const blob = await bytesOf(7 * MiB, 3);
        const id = await create(sut.url, blob.length);
        await cutPatch(sut.url, id, blob, 6 * MiB);
        await waitFor(async () => (await offsetOf(sut.url, id)) > 0, { timeoutMs: 10_000 });
        assert.notDeepEqual(await sut.contents(), { objects: [], multipart: [] });
        if (kind === 's3') assert.equal((await sut.contents()).multipart.length, 1);
        await sleep(1100);
        const swept = await sut.media.sweep();
        assert.ok(swept.uploads >= 1, `swept ${JSON.stringify(swept)}`);
        assert.deepEqual(await sut.contents(), { objects: [], multipart: [] });
        const head = await call(`${sut.url}/v1/media/uploads/${id}`, 'HEAD', TUS);
        assert.ok(head.status === 404 || head.status === 410, `HEAD answered ${head.status}`);
      } finally {
        await sut.close();
      }
    });

    it('serves a completed blob until MEDIA_EXPIRY, then 404, and the sweeper deletes it', async () => {
      const sut = await startMedia(kind, { MEDIA_EXPIRY: '2s', MEDIA_SWEEP_INTERVAL: '1h' });
      try {
        const blob = await bytesOf(1000, 5);
        const id = await create(sut.url, blob.length);
        assert.equal((await patch(sut.url, id, 0, blob)).status, 204);
        assert.ok((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).body.equals(blob));
        assert.equal((await sut.media.sweep()).blobs, 0);
        await sleep(2100);
        const gone = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
        assert.equal(gone.status, 404);
        assert.equal(errorOf(gone).code, 'NOT_FOUND');
        assert.equal((await sut.media.sweep()).blobs, 1);
        assert.deepEqual(await sut.contents(), { objects: [], multipart: [] });
      } finally {
        await sut.close();
      }
    });

    it("keeps the service's memory flat while 96 MiB stream through it up and down", async (t) => {
      const sut = await startMedia(kind, { MEDIA_MAX_BLOB_BYTES: '128MiB', MEDIA_QUOTA_BYTES_PER_DAY: '1GiB' });
      try {
        const size = 96 * MiB;
        const id = await create(sut.url, size);
        // Warm up (first requests load code and grow pools), then measure from a collected heap.
        await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
        gc();
        const before = process.memoryUsage();
        let peakRss = before.rss;
        const live = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.arrayBuffers;
        let peakLive = live(before);
        const peaks = { up: 0, down: 0 };
        // Sampled after a collection: what is live (buffered by the service), not garbage not yet
        // collected.
        const sampler = setInterval(() => {
          gc();
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakLive = Math.max(peakLive, live(m));
          const phase = sut.media.stats().uploadsCompleted === 0 ? 'up' : 'down';
          peaks[phase] = Math.max(peaks[phase], live(m) - live(before));
        }, 250);
        try {
          // The client runs in its own process: its buffers and garbage are not the service's.
          const out = await runClient(sut.url, id, size);
          assert.equal(out.n, size);
          assert.equal(out.got, out.sent);
        } finally {
          clearInterval(sampler);
        }
        const rssGrowth = (peakRss - before.rss) / MiB;
        const liveGrowth = (peakLive - live(before)) / MiB;
        t.diagnostic(`${kind}: 96 MiB up and down, peak RSS +${rssGrowth.toFixed(1)} MiB, peak heap and buffers +${liveGrowth.toFixed(1)} MiB (uploading +${(peaks.up / MiB).toFixed(1)}, downloading +${(peaks.down / MiB).toFixed(1)})`);
        // The blob is 96 MiB: held whole, either would grow by at least that. What the service holds
        // (heap and buffers, after a collection) measured 0–31 MiB on a quiet machine — on S3 a few
        // parts in flight to the store — but up to 45.5 MiB downloading and 51.6 uploading with the
        // machine's cores busy (two spinning processes beside it; a CI run with other specs). Why is
        // not established (one guess: V8 frees dead buffers' memory on a background thread, which a
        // busy machine delays, and the sampler counts them until then). So the bound is "less than
        // the blob", with room for that: 80 MiB.
        // RSS also counts what the allocator keeps after a free (16–47 MiB measured alone, past 64
        // once with other specs running in this process): reported, not asserted here — the media
        // process's own RSS is bounded by services/node/src/cluster/media-cluster.spec.ts.
        assert.ok(liveGrowth < 80, `heap and buffers grew ${liveGrowth.toFixed(1)} MiB`);
      } finally {
        await sut.close();
      }
    });

    it('names uploads with 144-bit ids: 24 base64url characters, none alike', async () => {
      const sut = await startMedia(kind, { MEDIA_REQUESTS_PER_MINUTE: '100000' });
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 50; i++) ids.add(await create(sut.url, 10));
        assert.equal(ids.size, 50);
        for (const id of ids) {
          assert.ok(isBlobId(id), id);
          assert.equal(Buffer.from(id, 'base64url').length, 18);
        }
      } finally {
        await sut.close();
      }
    });
  });
}

describe('media service limits that do not depend on the store', () => {
  it('keys limits on the address a trusted proxy forwards, each address its own budget', async () => {
    const sut = await startMedia('fs', { MEDIA_CLIENT_ADDRESS_FROM: 'x-forwarded-for', MEDIA_TRUSTED_PROXIES: '127.0.0.1', MEDIA_REQUESTS_PER_MINUTE: '2' });
    try {
      await earlyInWindow(60_000, 15_000);
      const get = (xff: string) => call(`${sut.url}/v1/media/blobs/${'A'.repeat(24)}`, 'GET', { 'X-Forwarded-For': xff });
      assert.equal((await get('203.0.113.1')).status, 404);
      assert.equal((await get('203.0.113.1')).status, 404);
      assert.equal(errorOf(await get('203.0.113.1')).code, 'RATE_LIMITED');
      assert.equal((await get('203.0.113.2')).status, 404, 'another address has its own budget');
      // An IPv6 client counts as its /64.
      assert.equal((await get('2001:db8::1')).status, 404);
      assert.equal((await get('2001:db8::2')).status, 404);
      assert.equal(errorOf(await get('2001:db8::3')).code, 'RATE_LIMITED');
    } finally {
      await sut.close();
    }
  });

  it('answers 503 UNAVAILABLE with Retry-After past MEDIA_MAX_INFLIGHT requests on the replica', async () => {
    const sut = await startMedia('fs', { MEDIA_MAX_INFLIGHT: '1' });
    try {
      const id = await create(sut.url, 1000);
      const slow = request(`${sut.url}/v1/media/uploads/${id}`, {
        method: 'PATCH',
        agent: false,
        headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': '1000' },
      });
      slow.on('error', () => {});
      slow.write(Buffer.alloc(10));
      await waitFor(() => sut.media.inflight.requests === 1, { timeoutMs: 5000 });
      const busy = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
      assert.equal(busy.status, 503);
      assert.equal(errorOf(busy).code, 'UNAVAILABLE');
      assert.equal(busy.headers['retry-after'], '1');
      slow.destroy();
      await waitFor(() => sut.media.inflight.requests === 0, { timeoutMs: 5000 });
    } finally {
      await sut.close();
    }
  });
});

describe('media service whose S3 store goes away', () => {
  it('answers 503 UNAVAILABLE to uploads and downloads, and its readiness fails', async () => {
    const minio = await startMinio();
    const sut = await startMedia('s3', { S3_ENDPOINT: minio.endpoint, AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey });
    try {
      const id = await create(sut.url, 10);
      await minio.stop();
      const created = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': '10' });
      assert.equal(created.status, 503);
      assert.equal(errorOf(created).code, 'UNAVAILABLE');
      // tus wrote this one itself; the contract's Retry-After is still there.
      assert.equal(created.headers['retry-after'], '1');
      const got = await call(`${sut.url}/v1/media/blobs/${id}`, 'GET');
      assert.equal(got.status, 503);
      assert.equal(errorOf(got).code, 'UNAVAILABLE');
      assert.equal((await fetch(`${sut.service.opsUrl}/readyz`)).status, 503);
    } finally {
      await sut.close();
      await minio.stop().catch(() => undefined);
    }
  });
});
