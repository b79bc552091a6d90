// The media service over both stores (a folder; a real MinIO), through its HTTP endpoints as a tus
// client and a downloader use them: one shared spec, run once per store.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@tacit/testing';
import { isBlobId } from './ids.js';
import { bytesOf, call, create, errorOf, patch, pseudoRandom, startMedia, stopSharedMinio, STORES } from './spec-fixtures.js';

const MiB = 2 ** 20;
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
        const head = await call(`${sut.url}/v1/media/blobs/${id}`, 'HEAD', { Range: 'bytes=10-19' });
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
        assert.equal(sut.media.stats().uploadsCompleted, 1);
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
        await waitFor(() => sut.media.inflight.addresses === 0 && sut.media.inflight.uploaders === 0, { timeoutMs: 5000 });
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
        global.gc?.();
        const before = process.memoryUsage();
        let peakRss = before.rss;
        let peakHeap = before.heapUsed;
        const sampler = setInterval(() => {
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakHeap = Math.max(peakHeap, m.heapUsed);
        }, 20);
        try {
          const sent = createHash('sha256');
          const stream = (async function* () {
            for await (const c of pseudoRandom(size, 11)) {
              sent.update(c);
              yield c;
            }
          })();
          const done = await patch(sut.url, id, 0, stream, size);
          assert.equal(done.status, 204, done.body.toString());
          // Downloaded as a stream and hashed, never held whole by the spec either.
          const got = createHash('sha256');
          let n = 0;
          await new Promise<void>((resolve, reject) => {
            request(`${sut.url}/v1/media/blobs/${id}`, { agent: false }, (res) => {
              res.on('data', (c: Buffer) => {
                got.update(c);
                n += c.length;
              });
              res.on('end', resolve);
              res.on('error', reject);
            })
              .on('error', reject)
              .end();
          });
          assert.equal(n, size);
          assert.equal(got.digest('hex'), sent.digest('hex'));
        } finally {
          clearInterval(sampler);
        }
        const rssGrowth = (peakRss - before.rss) / MiB;
        const heapGrowth = (peakHeap - before.heapUsed) / MiB;
        t.diagnostic(`${kind}: 96 MiB up and down, peak RSS +${rssGrowth.toFixed(1)} MiB, peak heap +${heapGrowth.toFixed(1)} MiB`);
        // The blob is 96 MiB: held whole, either would grow by at least that.
        assert.ok(rssGrowth < 48, `RSS grew ${rssGrowth.toFixed(1)} MiB`);
        assert.ok(heapGrowth < 40, `heap grew ${heapGrowth.toFixed(1)} MiB`);
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
