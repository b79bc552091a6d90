// StreamingS3Store on a real MinIO: PATCHes that cover whole parts go to S3 as they arrive (no
// temporary file); every other PATCH takes tus's own path; a cut streamed PATCH loses only the part
// it was in; whatever the mix, the blob reads back bit-exact.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3BlobStore } from './store.js';
import { bytesOf, call, create, patch, startMedia, stopSharedMinio, type MediaSut } from './spec-fixtures.js';

const MiB = 2 ** 20;
const TUS = { 'Tus-Resumable': '1.0.0' };

after(() => stopSharedMinio());

async function offsetOf(url: string, id: string): Promise<number> {
  const a = await call(`${url}/v1/media/uploads/${id}`, 'HEAD', TUS);
  assert.equal(a.status, 200);
  return Number(a.headers['upload-offset']);
}

function writes(sut: MediaSut): { streamed: number; buffered: number; full: number } {
  assert.ok(sut.store instanceof S3BlobStore);
  return { ...sut.store.tus.writes };
}

/** A PATCH of `bytes` at `offset` with no Content-Length (chunked transfer). */
function chunkedPatch(url: string, id: string, offset: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/media/uploads/${id}`, { method: 'PATCH', agent: false, headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

describe('StreamingS3Store (5 MiB parts, real MinIO)', () => {
  it('streams PATCHes of whole parts and a last short one, with no temporary file, bit-exact', async () => {
    const sut = await startMedia('s3', { MEDIA_MAX_BLOB_BYTES: '64MiB', MEDIA_QUOTA_BYTES_PER_DAY: '1GiB' });
    // S3Store's own path writes its parts under the OS temp folder (read at each PATCH): give it one to watch.
    const tmp = mkdtempSync(path.join(tmpdir(), 'tacit-parts-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const blob = await bytesOf(17 * MiB + 321, 11);
      // Every S3 command the store sends, by name.
      const sent: string[] = [];
      assert.ok(sut.store instanceof S3BlobStore);
      (sut.store.tus as unknown as { client: { middlewareStack: { add(mw: unknown, o: { step: string }): void } } }).client.middlewareStack.add(
        (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
          sent.push(String(context.commandName).replace(/Command$/, ''));
          return next(args);
        },
        { step: 'initialize' },
      );
      // The POST creates the upload and its .info, and reads nothing back (it knows the offset is 0);
      // the client still learns when an unfinished upload expires.
      const created = await call(`${sut.url}/v1/media/uploads`, 'POST', { ...TUS, 'Upload-Length': String(blob.length) });
      assert.equal(created.status, 201);
      assert.ok(Date.parse(String(created.headers['upload-expires'])) > Date.now(), 'Upload-Expires');
      assert.deepEqual([...sent].sort(), ['CreateMultipartUpload', 'PutObject']);
      const id = String(created.headers.location).split('/').pop()!;
      // 10 MiB (two parts), then 5 MiB (one), then the rest (2 MiB + 321: the last part). The first
      // PATCH finds the .info in the cache the POST filled: no GetObject.
      let offset = 0;
      const perPatch: string[][] = [];
      for (const n of [10 * MiB, 5 * MiB, blob.length - 15 * MiB]) {
        sent.length = 0;
        const a = await patch(sut.url, id, offset, blob.subarray(offset, offset + n));
        assert.equal(a.status, 204, a.body.toString());
        offset += n;
        assert.equal(Number(a.headers['upload-offset']), offset);
        assert.deepEqual(readdirSync(tmp), [], 'nothing written to the temp folder');
        perPatch.push([...sent].sort());
      }
      // tus's offset check asks for the parts and the .part once; the write reuses both. (The parts
      // themselves go through the streaming client's own connections, not this client.)
      assert.deepEqual(perPatch[1], ['HeadObject', 'ListParts']);
      assert.deepEqual(perPatch[0], ['HeadObject', 'ListParts']);
      // The last one completes the upload with no ListParts of its own: the list its offset check read
      // and the part S3 just acknowledged (its ETag). Wrong ETags or a missing part and S3 would refuse
      // the CompleteMultipartUpload, or the blob below would not be bit-exact.
      assert.deepEqual(perPatch[2]!.filter((c) => c === 'ListParts' || c === 'CompleteMultipartUpload'), ['CompleteMultipartUpload', 'ListParts']);
      assert.deepEqual(writes(sut), { streamed: 3, buffered: 0, full: 0 });
      assert.ok((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).body.equals(blob), 'bit-exact');
      assert.deepEqual((await sut.contents()).multipart, [], 'the multipart upload completed');
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      rmSync(tmp, { recursive: true, force: true });
      await sut.close();
    }
  });

  it("takes tus's own path for a PATCH ending mid-part, for the PATCH after it (a .part in front) and without Content-Length — still bit-exact", async () => {
    const sut = await startMedia('s3', { MEDIA_MAX_BLOB_BYTES: '64MiB', MEDIA_QUOTA_BYTES_PER_DAY: '1GiB' });
    try {
      const blob = await bytesOf(16 * MiB + 7, 12);
      const id = await create(sut.url, blob.length);
      // 3 MiB: less than a part, not the end → buffered, kept as the .part object.
      assert.equal((await patch(sut.url, id, 0, blob.subarray(0, 3 * MiB))).status, 204);
      assert.equal(await offsetOf(sut.url, id), 3 * MiB);
      // 7 MiB from 3 MiB: whole parts' worth, but the .part goes in front → buffered.
      assert.equal((await patch(sut.url, id, 3 * MiB, blob.subarray(3 * MiB, 10 * MiB))).status, 204);
      // 5 MiB chunked (no Content-Length) → buffered.
      assert.equal(await chunkedPatch(sut.url, id, 10 * MiB, blob.subarray(10 * MiB, 15 * MiB)), 204);
      assert.deepEqual(writes(sut), { streamed: 0, buffered: 3, full: 0 });
      // The rest, aligned again and ending the upload → streamed.
      assert.equal((await patch(sut.url, id, 15 * MiB, blob.subarray(15 * MiB))).status, 204);
      assert.deepEqual(writes(sut), { streamed: 1, buffered: 3, full: 0 });
      assert.ok((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).body.equals(blob), 'bit-exact');
    } finally {
      await sut.close();
    }
  });

  it('past MEDIA_MAX_STREAMED_PATCHES a PATCH takes the buffered path: a client trickling its PATCH holds one slot, not the replica', async () => {
    const sut = await startMedia('s3', { MEDIA_MAX_STREAMED_PATCHES: '1', MEDIA_MAX_BLOB_BYTES: '64MiB', MEDIA_QUOTA_BYTES_PER_DAY: '1GiB' });
    try {
      assert.ok(sut.store instanceof S3BlobStore);
      const tus = sut.store.tus;
      const slow = await bytesOf(10 * MiB, 14);
      const slowId = await create(sut.url, slow.length);
      let answered: number | undefined;
      const req = request(
        `${sut.url}/v1/media/uploads/${slowId}`,
        { method: 'PATCH', agent: false, headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(slow.length) } },
        (res) => {
          res.resume();
          res.on('end', () => (answered = res.statusCode));
        },
      );
      req.on('error', () => {});
      req.write(slow.subarray(0, MiB));
      for (let i = 0; i < 50 && tus.streaming === 0; i++) await sleep(50);
      assert.equal(tus.streaming, 1, 'the slow PATCH streams');
      // Meanwhile another upload goes through whole, on tus's own path, and downloads answer.
      const blob = await bytesOf(7 * MiB + 3, 15);
      const id = await create(sut.url, blob.length);
      const a = await patch(sut.url, id, 0, blob);
      assert.equal(a.status, 204, a.body.toString());
      assert.deepEqual(writes(sut), { streamed: 1, buffered: 1, full: 1 });
      const metrics = await (await fetch(`${sut.service.opsUrl}/metrics`)).text();
      assert.match(metrics, /^tacit_media_upload_patches_total\{path="full"[^}]*\} 1$/m);
      assert.match(metrics, /^tacit_media_upload_patches_total\{path="buffered"[^}]*\} 1$/m);
      assert.ok((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).body.equals(blob), 'bit-exact meanwhile');
      assert.equal(answered, undefined, 'the slow PATCH is still open');
      // The slow client finishes: its upload is whole too.
      await new Promise<void>((r) => req.end(slow.subarray(MiB), () => r()));
      for (let i = 0; i < 100 && answered === undefined; i++) await sleep(50);
      assert.equal(answered, 204);
      assert.equal(tus.streaming, 0);
      assert.ok((await call(`${sut.url}/v1/media/blobs/${slowId}`, 'GET')).body.equals(slow), 'bit-exact');
    } finally {
      await sut.close();
    }
  });

  it('a streamed PATCH cut inside its third part keeps the two whole parts; the client resumes from HEAD, bit-exact', async () => {
    const sut = await startMedia('s3', { MEDIA_MAX_BLOB_BYTES: '64MiB', MEDIA_QUOTA_BYTES_PER_DAY: '1GiB' });
    try {
      const blob = await bytesOf(20 * MiB, 13);
      const id = await create(sut.url, blob.length);
      const req = request(`${sut.url}/v1/media/uploads/${id}`, {
        method: 'PATCH',
        agent: false,
        headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(blob.length) },
      });
      req.on('error', () => {});
      const cutAt = 12 * MiB + 5;
      for (let at = 0; at < cutAt; at += 256 * 1024) {
        if (!req.write(blob.subarray(at, Math.min(cutAt, at + 256 * 1024)))) await new Promise((r) => req.once('drain', r));
      }
      await sleep(500);
      req.destroy();
      let offset = -1;
      for (let i = 0; i < 50 && offset !== 10 * MiB; i++) {
        await sleep(100);
        offset = await offsetOf(sut.url, id);
      }
      assert.equal(offset, 10 * MiB, 'two whole parts stored, the cut one not at all');
      assert.equal((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).status, 404, 'not complete: not served');
      const rest = await patch(sut.url, id, offset, blob.subarray(offset));
      assert.equal(rest.status, 204, rest.body.toString());
      assert.ok((await call(`${sut.url}/v1/media/blobs/${id}`, 'GET')).body.equals(blob), 'bit-exact');
      assert.equal(writes(sut).buffered, 0);
    } finally {
      await sut.close();
    }
  });
});
