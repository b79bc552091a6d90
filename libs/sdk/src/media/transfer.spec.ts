// Upload and download against a real tus server (@tus/server on @tus/file-store, 127.0.0.1) with a
// ranged GET beside it, as the media service's contract has them: round trips bit-exact, an upload
// cut at ~60 % by the server (resumed in process) and by the app (resumed as after a restart, from
// the kept state), memory bounded through a 100 MB round trip, and each refusal a typed MediaError.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startMediaTestServer, type MediaTestServer } from '../_media-test-server.js';
import { downloadMedia, fetchBlobRange } from './download.js';
import { MediaError, type MediaErrorCode } from './errors.js';
import { ciphertextSize, MEDIA_CIPHER_CHUNK_BYTES } from './format.js';
import { MEDIA_UPLOAD_CHUNK, MEDIA_UPLOAD_STREAMED_CHUNK, uploadMedia, type MediaUploadState, type UploadedMedia } from './upload.js';
import type { MediaDescriptor } from './descriptor.js';

const MB = 1024 * 1024;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) randomFillSync(out, i, Math.min(65_536, n - i));
  return out;
}

function descriptor(u: UploadedMedia): MediaDescriptor {
  return { id: u.id, key: u.key, digest: u.digest, size: u.size, type: 'application/octet-stream', url: u.url };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

const is = (code: MediaErrorCode, field?: string) => (e: unknown) => e instanceof MediaError && e.code === code && (field === undefined || e.field === field);

describe('media upload and download through a tus server', { timeout: 240_000 }, () => {
  let server: MediaTestServer;
  let dir: string;
  before(async () => {
    server = await startMediaTestServer();
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-media-spec-'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 MB round trip, bit-exact: the service stores exactly the ciphertext length and is read by ranges', async () => {
    const plain = random(20 * MB);
    let progress = 0;
    const up = await uploadMedia(plain, { baseUrl: server.url, onProgress: (sent) => (progress = sent) });
    assert.equal(progress, ciphertextSize(plain.length));
    assert.equal(up.size, plain.length);
    assert.match(up.id, /^[A-Za-z0-9_-]{24}$/);
    const stored = readFileSync(path.join(server.dir, up.id));
    assert.equal(stored.length, ciphertextSize(plain.length));
    assert.deepEqual(new Uint8Array(createHash('sha256').update(stored).digest()), up.digest);
    // The plaintext is nowhere in what the service holds.
    assert.equal(stored.indexOf(Buffer.from(plain.subarray(1000, 1064))), -1);
    server.seen.ranges.length = 0;
    const got = await collect(downloadMedia(descriptor(up)));
    assert.ok(Buffer.from(got).equals(Buffer.from(plain)), 'bit-exact');
    assert.ok(server.seen.ranges.length >= 5, `${server.seen.ranges.length} ranged requests`);
    assert.match(server.seen.ranges[0]!, /^bytes=0-\d+$/);
  });

  it('an upload whose connection the server cuts at ~60 % resumes from the server offset, in process', async () => {
    const file = path.join(dir, 'cut.bin');
    const plain = random(12 * MB);
    writeFileSync(file, plain);
    const total = ciphertextSize(plain.length);
    const before = { creations: server.seen.creations, patches: server.seen.patchOffsets.length };
    let cut = false;
    server.onReceive = (offset) => {
      if (!cut && offset >= 0.6 * total) {
        cut = true;
        server.cutUploads();
      }
    };
    try {
      const up = await uploadMedia(file, { baseUrl: server.url, chunkSize: 64 * MB, retryDelays: [50, 100, 200] });
      assert.ok(cut, 'the connection was cut');
      assert.equal(server.seen.creations - before.creations, 1, 'one upload, resumed (not created again)');
      const offsets = server.seen.patchOffsets.slice(before.patches);
      assert.ok(offsets.length >= 2 && offsets[0] === 0 && offsets[1]! >= 0.5 * total, `PATCH offsets ${offsets.join(', ')}`);
      assert.ok(Buffer.from(await collect(downloadMedia(descriptor(up)))).equals(Buffer.from(plain)));
    } finally {
      server.onReceive = undefined;
    }
  });

  it('an upload the app aborts at ~60 % resumes after a "restart" from the state it kept: same key, the digest caught up', async () => {
    const file = path.join(dir, 'restart.bin');
    const plain = random(10 * MB);
    writeFileSync(file, plain);
    const total = ciphertextSize(plain.length);
    const ac = new AbortController();
    let state: MediaUploadState | undefined;
    await assert.rejects(
      uploadMedia(file, {
        baseUrl: server.url,
        chunkSize: 1 * MB,
        signal: ac.signal,
        onResumable: (s) => (state = s),
        onProgress: (sent) => sent >= 0.6 * total && ac.abort(),
      }),
      is('ABORTED'),
    );
    assert.ok(state !== undefined);
    // Not downloadable yet: an incomplete upload is not a blob.
    const id = state.uploadUrl.split('/').pop()!;
    await assert.rejects(collect(downloadMedia({ id, key: state.key, digest: new Uint8Array(32), size: plain.length, type: 'a/b', url: server.url })), is('NOT_FOUND', 'id'));
    const before = { creations: server.seen.creations, patches: server.seen.patchOffsets.length };
    // A new process: a fresh source over the same file, the kept state.
    const kept: MediaUploadState = JSON.parse(JSON.stringify({ ...state, key: [...state.key] }), (k, v) => (k === 'key' ? Uint8Array.from(v as number[]) : v));
    const up = await uploadMedia(file, { baseUrl: server.url, chunkSize: 1 * MB, resume: kept });
    assert.equal(up.id, id);
    assert.deepEqual(up.key, state.key);
    assert.equal(server.seen.creations, before.creations, 'resumed, not created again');
    const offsets = server.seen.patchOffsets.slice(before.patches);
    assert.ok(offsets[0]! >= 0.5 * total, `resumed at ${offsets[0]} of ${total}`);
    assert.ok(Buffer.from(await collect(downloadMedia(descriptor(up)))).equals(Buffer.from(plain)));
    await assert.rejects(uploadMedia(plain.subarray(1), { baseUrl: server.url, resume: kept }), is('MALFORMED', 'resume.size'));
  });

  it('from Node, a path, a Blob or bytes go in streamed 64 MiB PATCHes; a stream source in 8 MiB ones held whole', async () => {
    const plain = random(70 * MB);
    const total = ciphertextSize(plain.length);
    const mark = server.seen.patchLengths.length;
    const up = await uploadMedia(plain, { baseUrl: server.url });
    assert.deepEqual(server.seen.patchLengths.slice(mark), [MEDIA_UPLOAD_STREAMED_CHUNK, total - MEDIA_UPLOAD_STREAMED_CHUNK]);
    assert.ok(Buffer.from(await collect(downloadMedia(descriptor(up)))).equals(Buffer.from(plain)), 'bit-exact');
    const small = plain.subarray(0, 20 * MB);
    const stream = Object.assign(
      (async function* () {
        for (let i = 0; i < small.length; i += 1 << 20) yield small.slice(i, i + (1 << 20));
      })(),
      { size: small.length },
    );
    const at = server.seen.patchLengths.length;
    const up2 = await uploadMedia(stream, { baseUrl: server.url });
    const t2 = ciphertextSize(small.length);
    assert.deepEqual(server.seen.patchLengths.slice(at), [MEDIA_UPLOAD_CHUNK, MEDIA_UPLOAD_CHUNK, t2 - 2 * MEDIA_UPLOAD_CHUNK]);
    assert.ok(Buffer.from(await collect(downloadMedia(descriptor(up2)))).equals(Buffer.from(small)), 'bit-exact');
  });

  it('a file that shrinks under a streamed PATCH fails it at once: MALFORMED source, not retried, not left to stall', async () => {
    const file = path.join(dir, 'shrinks.bin');
    // Large enough that the body's read-ahead is far from the end when the first bytes are reported sent.
    writeFileSync(file, random(48 * MB));
    const mark = server.seen.patchOffsets.length;
    let cut = false;
    const t0 = performance.now();
    await assert.rejects(
      uploadMedia(file, {
        baseUrl: server.url,
        retryDelays: [50, 100, 200],
        stallMs: 20_000,
        onProgress: (sent) => {
          if (!cut && sent > 0) {
            cut = true;
            truncateSync(file, 1 * MB);
          }
        },
      }),
      (e: unknown) => is('MALFORMED', 'source')(e) && /shrank/.test((e as Error).message),
    );
    assert.ok(cut, 'the file was cut short mid-upload');
    assert.ok(performance.now() - t0 < 10_000, `failed after ${Math.round(performance.now() - t0)} ms, not at the stall timer`);
    assert.deepEqual(server.seen.patchOffsets.slice(mark), [0], 'one PATCH, not retried');
  });

  it('a stream source survives a cut too (tus retries from the server offset, which the stream still holds)', async () => {
    const plain = random(6 * MB);
    async function* gen() {
      for (let i = 0; i < plain.length; i += 100_000) yield plain.slice(i, i + 100_000);
    }
    const total = ciphertextSize(plain.length);
    let cut = false;
    // The PATCH that starts past half the blob is cut a moment after it began (mid-request).
    server.onPatch = (offset, cutIt) => {
      if (!cut && offset >= 0.5 * total) {
        cut = true;
        setTimeout(cutIt, 20);
      }
    };
    try {
      const up = await uploadMedia(Object.assign(gen(), { size: plain.length }), { baseUrl: server.url, chunkSize: 2 * MB, retryDelays: [50, 100] });
      assert.ok(cut);
      assert.ok(Buffer.from(await collect(downloadMedia(descriptor(up)))).equals(Buffer.from(plain)));
    } finally {
      server.onPatch = undefined;
    }
  });

  it('a download whose connections are cut resumes at the next byte and stays bit-exact', async () => {
    const plain = random(9 * MB);
    const up = await uploadMedia(plain, { baseUrl: server.url });
    const parts: Uint8Array[] = [];
    let cuts = 0;
    for await (const p of downloadMedia(descriptor(up), { rangeSize: 3 * MB, backoffMs: 10 })) {
      parts.push(p);
      if (parts.length === 10 || parts.length === 70) {
        server.cutAll();
        cuts++;
      }
    }
    assert.equal(cuts, 2);
    assert.ok(Buffer.from(Buffer.concat(parts)).equals(Buffer.from(plain)));
  });

  it('a stalled upload request and a stalled download are abandoned after stallMs and retried', async () => {
    const plain = random(3 * MB);
    server.stallNextPatch = true;
    const t0 = Date.now();
    const up = await uploadMedia(plain, { baseUrl: server.url, stallMs: 300, retryDelays: [10, 10] });
    assert.ok(server.seen.patchOffsets.includes(-1), 'a PATCH was stalled');
    assert.ok(Date.now() - t0 >= 300);
    // The first response sends some bytes, then nothing, and never ends: a stall mid-body.
    let calls = 0;
    const stalling = async (url: string, init?: RequestInit): Promise<Response> => {
      if (calls++ > 0) return fetch(url, init);
      const real = new Uint8Array(await (await fetch(url, init)).arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(real.subarray(0, 100_000));
          init?.signal?.addEventListener('abort', () => c.error(new Error('aborted')), { once: true });
        },
      });
      return new Response(body, { status: 206, headers: { 'content-range': `bytes 0-${real.length - 1}/${ciphertextSize(plain.length)}` } });
    };
    const got = await collect(downloadMedia(descriptor(up), { fetch: stalling, stallMs: 300, backoffMs: 10 }));
    assert.equal(calls, 2);
    assert.ok(Buffer.from(got).equals(Buffer.from(plain)));
  });

  it('memory stays bounded through a 100 MB round trip (file to service to hash), the service in its own process', async (t) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../_media-test-server.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    const remote = await new Promise<{ url: string }>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { url: string }));
    });
    t.after(() => void child.stdin.end());
    const file = path.join(dir, 'big.bin');
    const size = 100 * MB + 12_345;
    const src = createHash('sha256');
    const fd = openSync(file, 'w');
    const piece = new Uint8Array(MB);
    for (let left = size; left > 0; left -= piece.length) {
      const p = piece.subarray(0, Math.min(piece.length, left));
      randomFillSync(p);
      src.update(p);
      writeSync(fd, p);
    }
    closeSync(fd);
    const want = src.digest('hex');
    const mem = () => {
      const m = process.memoryUsage();
      return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
    };
    // Modules loaded and connections opened first (a small round trip), and the earlier tests' garbage
    // collected, so that neither counts as growth nor hides it by going away mid-run.
    await collect(downloadMedia(descriptor(await uploadMedia(random(5000), { baseUrl: remote.url }))));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    await new Promise((r) => setTimeout(r, 20));
    const base = mem();
    let peak = { heap: 0, rss: 0 };
    let live = 0;
    const detail: string[] = [];
    let samples = 0;
    const timer = setInterval(() => {
      const m = mem();
      peak = { heap: Math.max(peak.heap, m.heap - base.heap), rss: Math.max(peak.rss, m.rss - base.rss) };
      // Every fifth sample after a full collection: what is really held, garbage aside.
      // (V8 frees dead ArrayBuffers' memory concurrently after a collection: read it a moment later.)
      if (++samples % 5 === 0) {
        gc();
        setTimeout(() => {
          live = Math.max(live, mem().heap - base.heap);
          detail.push(`${(process.memoryUsage().arrayBuffers / MB).toFixed(0)}`);
        }, 5);
      }
    }, 20);
    try {
      const up = await uploadMedia(file, { baseUrl: remote.url });
      t.diagnostic(`upload: live ${(live / MB).toFixed(1)} MiB; arrayBuffers after each collection (MiB): ${detail.join(' ')}`);
      const h = createHash('sha256');
      for await (const p of downloadMedia(descriptor(up))) h.update(p);
      assert.equal(h.digest('hex'), want, 'bit-exact');
    } finally {
      clearInterval(timer);
    }
    t.diagnostic(
      `peak growth over the round trip: live (after gc) ${(live / MB).toFixed(1)} MiB in ${Math.floor(samples / 5)} samples; heap+arrayBuffers ${(peak.heap / MB).toFixed(1)} MiB, rss ${(peak.rss / MB).toFixed(1)} MiB (blob ${(size / MB).toFixed(0)} MiB)`,
    );
    // What is held: a ~1 MiB piece of the streamed PATCH body (8 MiB held, before it streamed) or a
    // 4 MiB range, and what sockets buffer; V8 hands freed ArrayBuffer memory back a little after a
    // collection, so a sample may still count dead pieces: 12 MiB measured streamed (15-31 MiB with
    // held 8 MiB PATCHes). None of it is the blob (100 MiB).
    assert.ok(live < 48 * MB, `live memory grew ${(live / MB).toFixed(1)} MiB`);
  });

  it('unknown id and a range past the end are NOT_FOUND; an over-cap upload is TOO_LARGE; a dead service UNAVAILABLE', async () => {
    const empty = await uploadMedia(new Uint8Array(0), { baseUrl: server.url });
    assert.equal((await collect(downloadMedia(descriptor(empty)))).length, 0);
    const up = await uploadMedia(random(5000), { baseUrl: server.url });
    await assert.rejects(collect(downloadMedia({ ...descriptor(up), id: 'AAAAAAAAAAAAAAAAAAAAAAAA' })), is('NOT_FOUND', 'id'));
    const len = ciphertextSize(5000);
    assert.equal((await fetchBlobRange(server.url, up.id, len - 10, len)).length, 10);
    await assert.rejects(fetchBlobRange(server.url, up.id, len, len + 10), is('NOT_FOUND', 'range'));
    await assert.rejects(fetchBlobRange(server.url, 'AAAAAAAAAAAAAAAAAAAAAAAA', 0, 10), is('NOT_FOUND', 'id'));
    // A descriptor whose size implies another length than the service holds.
    await assert.rejects(collect(downloadMedia({ ...descriptor(up), size: 100_000 })), is('TAMPERED', 'length'));

    const small = await startMediaTestServer({ maxSize: 100_000 });
    try {
      await assert.rejects(uploadMedia(random(200_000), { baseUrl: small.url }), is('TOO_LARGE'));
    } finally {
      await small.stop();
    }
    const dead = 'http://127.0.0.1:9';
    await assert.rejects(collect(downloadMedia(descriptor(up), { baseUrl: dead, retries: 1, backoffMs: 5 })), is('UNAVAILABLE'));
    await assert.rejects(uploadMedia(random(5000), { baseUrl: dead, retryDelays: [5] }), is('UNAVAILABLE'));
  });

  it('a blob altered at the service is TAMPERED; an aborted download is ABORTED', async () => {
    const plain = random(300_000);
    const up = await uploadMedia(plain, { baseUrl: server.url });
    const file = path.join(server.dir, up.id);
    const ct = readFileSync(file);
    const C = MEDIA_CIPHER_CHUNK_BYTES;
    const swapped = Buffer.concat([ct.subarray(0, C), ct.subarray(2 * C, 3 * C), ct.subarray(C, 2 * C), ct.subarray(3 * C)]);
    writeFileSync(file, swapped);
    const parts: Uint8Array[] = [];
    await assert.rejects(
      (async () => {
        for await (const p of downloadMedia(descriptor(up))) parts.push(p);
      })(),
      is('TAMPERED', 'chunk'),
    );
    assert.deepEqual(new Uint8Array(Buffer.concat(parts)), plain.subarray(0, 65_536), 'only the verified first chunk came out');
    writeFileSync(file, ct);
    const ac = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const _ of downloadMedia(descriptor(up), { signal: ac.signal, rangeSize: 1 })) ac.abort();
      })(),
      is('ABORTED'),
    );
    await assert.rejects(collect(downloadMedia(descriptor(up), { baseUrl: 'http://media.example' })), is('MALFORMED', 'baseUrl'));
    await assert.rejects(collect(downloadMedia({ ...descriptor(up), url: undefined })), is('MALFORMED', 'baseUrl'));
    await assert.rejects(collect(downloadMedia(descriptor(up), { maxSize: 1000 })), is('TOO_LARGE'));
  });
});
