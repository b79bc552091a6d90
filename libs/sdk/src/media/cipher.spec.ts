// The media format against itself on both crypto backends (round trips, any range recomputed
// exactly, the digest whatever order ranges come in), against every kind of tampering (each a
// TAMPERED, with nothing unverified yielded before it), padding bounds, and a pinned known-answer
// vector with a mutated case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleBackend, nodeBackend, type CryptoBackend } from '@tacit/crypto';
import { decryptMedia, MediaDecryptor, MediaEncryptor } from './cipher.js';
import { MediaError } from './errors.js';
import {
  chunkNonce,
  ciphertextSize,
  MEDIA_CHUNK_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
  MEDIA_MAX_SIZE,
  MEDIA_PADME_FROM,
  mediaLayout,
  paddedSize,
} from './format.js';
import { openSource } from './source.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Deterministic non-zero bytes (so a wrong size cuts into real data, not into zeros). */
function data(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) | 1;
  }
  return out;
}

async function encrypt(plain: Uint8Array, key: Uint8Array, backend: CryptoBackend = nodeBackend): Promise<{ ct: Uint8Array; digest: Uint8Array }> {
  const enc = new MediaEncryptor(key, await openSource(plain), backend);
  const parts: Uint8Array[] = [];
  for await (const c of enc.chunks()) parts.push(c);
  return { ct: concat(parts), digest: await enc.digest() };
}

/** What a decryption yielded before it ended, and how it ended. */
async function run(ct: Uint8Array | Uint8Array[], secrets: { key: Uint8Array; digest: Uint8Array; size: number }, piece = 10_000): Promise<{ out: Uint8Array; err: unknown }> {
  const pieces: Uint8Array[] = [];
  if (Array.isArray(ct)) pieces.push(...ct);
  else for (let i = 0; i < ct.length; i += piece) pieces.push(ct.subarray(i, i + piece));
  const got: Uint8Array[] = [];
  try {
    for await (const p of decryptMedia(pieces, secrets)) got.push(p.slice());
    return { out: concat(got), err: undefined };
  } catch (err) {
    return { out: concat(got), err };
  }
}

function tampered(err: unknown, field?: string): boolean {
  return err instanceof MediaError && err.code === 'TAMPERED' && (field === undefined || err.field === field);
}

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('media format', () => {
  for (const backend of [nodeBackend, nobleBackend]) {
    it(`${backend.name}: round trips every size class, the ciphertext as long as the layout says`, async () => {
      for (const n of [0, 1, 1023, 1024, 1025, 65_535, 65_536, 65_537, 200_000, MEDIA_PADME_FROM + 3]) {
        const plain = data(n, n + 7);
        const key = backend.randomBytes(32);
        const { ct, digest } = await encrypt(plain, key, backend);
        assert.equal(ct.length, ciphertextSize(n), `${n} bytes`);
        assert.deepEqual(digest, nodeBackend.sha256(ct));
        const { out, err } = await run(ct, { key, digest, size: n }, 7_777);
        assert.equal(err, undefined, `${n} bytes: ${String(err)}`);
        assert.ok(Buffer.from(out).equals(Buffer.from(plain)), `${n} bytes decrypt bit-exact`);
      }
    });
  }

  it('the backends produce the same ciphertext', async () => {
    const plain = data(150_000);
    assert.deepEqual((await encrypt(plain, KEY, nodeBackend)).ct, (await encrypt(plain, KEY, nobleBackend)).ct);
  });

  it('any ciphertext range is recomputed exactly, and the digest is the same whatever order ranges come in', async () => {
    const plain = data(300_000);
    const { ct, digest } = await encrypt(plain, KEY);
    const enc = new MediaEncryptor(KEY, await openSource(plain));
    // A resumed upload: a range far from the start first (the digest catches up), then one overlapping what was hashed.
    const ranges: [number, number][] = [
      [200_003, 250_000],
      [100, 5000],
      [0, 1],
      [MEDIA_CIPHER_CHUNK_BYTES - 1, MEDIA_CIPHER_CHUNK_BYTES + 1],
      [250_000, ct.length],
      [ct.length, ct.length],
    ];
    for (const [a, b] of ranges) assert.ok(Buffer.from(await enc.range(a, b)).equals(Buffer.from(ct.subarray(a, b))), `range ${a}..${b}`);
    assert.deepEqual(await enc.digest(), digest);
    await assert.rejects(enc.range(0, ct.length + 1), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'range');
  });

  it('a stream source serves ranges forward, again from its last released offset, and refuses to rewind further', async () => {
    const plain = data(200_000);
    const { ct, digest } = await encrypt(plain, KEY);
    async function* gen() {
      for (let i = 0; i < plain.length; i += 30_000) yield plain.slice(i, i + 30_000);
    }
    const enc = new MediaEncryptor(KEY, await openSource(Object.assign(gen(), { size: plain.length })));
    const a = MEDIA_CIPHER_CHUNK_BYTES + 5;
    assert.deepEqual(await enc.range(0, a), ct.subarray(0, a));
    assert.deepEqual(await enc.range(a, 2 * a), ct.subarray(a, 2 * a));
    // A retry from the start of the last range (tus resumes at the server's offset, never before it).
    assert.deepEqual(await enc.range(a, a + 10), ct.subarray(a, a + 10));
    await assert.rejects(enc.range(0, 10), (e: unknown) => e instanceof MediaError && e.code === 'UNAVAILABLE' && e.field === 'source');
    assert.deepEqual(await enc.range(2 * a, ct.length), ct.subarray(2 * a));
    assert.deepEqual(await enc.digest(), digest);
  });

  it('a source whose bytes do not match its size is MALFORMED', async () => {
    async function* short() {
      yield new Uint8Array(100);
    }
    const enc = new MediaEncryptor(KEY, await openSource(Object.assign(short(), { size: 5000 })));
    await assert.rejects(enc.range(0, 2000), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'source');
    async function* long() {
      yield new Uint8Array(6000);
    }
    const enc2 = new MediaEncryptor(KEY, await openSource(Object.assign(long(), { size: 5000 })));
    await assert.rejects(enc2.range(0, 2000), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED');
    await assert.rejects(openSource(42 as never), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'source');
    await assert.rejects(openSource('/nonexistent/tacit-media'), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED');
  });

  describe('tampering: each case is TAMPERED, and only verified chunks came out before it', () => {
    const n = 200_000; // padded 256 KiB: 4 chunks
    const plain = data(n, 3);
    let ct: Uint8Array;
    let digest: Uint8Array;
    const C = MEDIA_CIPHER_CHUNK_BYTES;
    const chunk = (i: number) => ct.subarray(i * C, Math.min((i + 1) * C, ct.length));
    const prefix = (chunks: number) => plain.subarray(0, chunks * MEDIA_CHUNK_BYTES);
    const secrets = () => ({ key: KEY, digest, size: n });

    it('setup', async () => {
      ({ ct, digest } = await encrypt(plain, KEY));
      assert.equal(mediaLayout(n).chunks, 4);
    });

    it('a flipped byte in chunk 2: chunks 0 and 1 came out, then TAMPERED (chunk)', async () => {
      const bad = ct.slice();
      bad[2 * C + 100]! ^= 1;
      const { out, err } = await run(bad, secrets());
      assert.ok(tampered(err, 'chunk'), String(err));
      assert.deepEqual(out, prefix(2));
    });

    it('a flipped bit in a tag', async () => {
      const bad = ct.slice();
      bad[C - 1]! ^= 0x80;
      const { out, err } = await run(bad, secrets());
      assert.ok(tampered(err, 'chunk'));
      assert.equal(out.length, 0);
    });

    it('two chunks swapped', async () => {
      const { out, err } = await run([chunk(0), chunk(2), chunk(1), chunk(3)], secrets());
      assert.ok(tampered(err, 'chunk'));
      assert.deepEqual(out, prefix(1));
    });

    it('the last chunk dropped', async () => {
      const { out, err } = await run([chunk(0), chunk(1), chunk(2)], secrets());
      assert.ok(tampered(err, 'length'));
      assert.deepEqual(out, prefix(3));
    });

    it('the last chunks dropped and the size and digest adjusted to match: the last flag refuses chunk 1 as the end', async () => {
      const size = 100_000;
      assert.equal(mediaLayout(size).chunks, 2);
      const cut = concat([chunk(0), chunk(1)]);
      const { out, err } = await run(cut, { key: KEY, digest: nodeBackend.sha256(cut), size });
      assert.ok(tampered(err, 'chunk'));
      assert.deepEqual(out, prefix(1));
    });

    it('a chunk appended', async () => {
      const { err } = await run([chunk(0), chunk(1), chunk(2), chunk(3), chunk(3)], secrets());
      assert.ok(tampered(err, 'length'));
    });

    it('truncated mid-chunk', async () => {
      const { out, err } = await run(ct.subarray(0, 3 * C + 500), secrets());
      assert.ok(tampered(err, 'length'));
      assert.deepEqual(out, prefix(3));
    });

    it('the wrong key', async () => {
      const { out, err } = await run(ct, { key: new Uint8Array(32).fill(7), digest, size: n });
      assert.ok(tampered(err, 'chunk'));
      assert.equal(out.length, 0);
    });

    it('the wrong digest: every chunk verified, then TAMPERED (digest) at the end', async () => {
      const d = digest.slice();
      d[0]! ^= 1;
      const { out, err } = await run(ct, { key: KEY, digest: d, size: n });
      assert.ok(tampered(err, 'digest'));
      assert.deepEqual(out, plain);
    });

    it('the wrong size: a smaller one cuts into data (padding), one of another layout changes the length', async () => {
      const smaller = await run(ct, { key: KEY, digest, size: n - 1000 });
      assert.ok(tampered(smaller.err, 'padding'));
      const other = await run(ct, { key: KEY, digest, size: 100_000 });
      assert.ok(tampered(other.err));
      const larger = await run(ct, { key: KEY, digest, size: 300_000 });
      assert.ok(tampered(larger.err));
    });

    it('a chunk from another blob under the same key at the same index does not help: each blob has its own key', async () => {
      const other = await encrypt(data(n, 99), new Uint8Array(32).fill(1));
      const { err } = await run([chunk(0), other.ct.subarray(C, 2 * C), chunk(2), chunk(3)], secrets());
      assert.ok(tampered(err, 'chunk'));
    });

    it('a decryptor refuses anything after a failure or after finishing', async () => {
      const d = new MediaDecryptor(secrets());
      const bad = chunk(0).slice();
      bad[0]! ^= 1;
      assert.throws(() => d.push(bad), (e: unknown) => tampered(e, 'chunk'));
      assert.throws(() => d.push(chunk(1)), (e: unknown) => tampered(e, 'chunk'));
      // Verified chunks before a failure in the same piece come out; the failure follows.
      const late = new MediaDecryptor(secrets());
      const joined = concat([chunk(0), chunk(1), bad]);
      assert.deepEqual(concat(late.push(joined)), prefix(2));
      assert.throws(() => late.finish(), (e: unknown) => tampered(e, 'chunk'));
      const ok = new MediaDecryptor(secrets());
      for (let i = 0; i < 4; i++) ok.push(chunk(i));
      ok.finish();
      assert.throws(() => ok.push(new Uint8Array(1)), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED');
    });
  });

  describe('padding', () => {
    it('power-of-two buckets from 1 KiB below 1 MiB, Padmé from 1 MiB', () => {
      const cases: [number, number][] = [
        [0, 1024],
        [1, 1024],
        [1024, 1024],
        [1025, 2048],
        [65_536, 65_536],
        [65_537, 131_072],
        [MEDIA_PADME_FROM - 1, MEDIA_PADME_FROM],
        [MEDIA_PADME_FROM, MEDIA_PADME_FROM],
        // E = 20, S = 5: multiples of 2^15.
        [MEDIA_PADME_FROM + 1, MEDIA_PADME_FROM + 32_768],
        // 200 MB: E = 27, S = 5: multiples of 2^22.
        [200_000_000, 201_326_592],
        // E = 32, S = 6: multiples of 2^26.
        [2 ** 32 + 1, 2 ** 32 + 2 ** 26],
        [MEDIA_MAX_SIZE, MEDIA_MAX_SIZE],
      ];
      for (const [n, p] of cases) assert.equal(paddedSize(n), p, `paddedSize(${n})`);
    });

    it('stays within its bound and is monotone: overhead < 2^-S ≤ 1/E; under 3.125 % from 1 MiB', () => {
      let prev = 0;
      let worst = 0;
      for (let n = MEDIA_PADME_FROM; n < 2 ** 34; n = Math.floor(n * 1.0007) + 1) {
        const p = paddedSize(n);
        assert.ok(p >= n && p >= prev, `monotone at ${n}`);
        const e = Math.floor(Math.log2(n));
        assert.ok((p - n) / n < 1 / e, `${n}: ${(p - n) / n} < 1/${e}`);
        worst = Math.max(worst, (p - n) / n);
        prev = p;
      }
      assert.ok(worst < 2 ** -5, `worst overhead ${worst}`);
      for (let n = 1025; n < MEDIA_PADME_FROM; n = Math.floor(n * 1.01) + 1) assert.ok(paddedSize(n) < 2 * n);
    });

    it('refuses sizes it cannot take: TOO_LARGE above 1 TiB, MALFORMED for negative or fractional', () => {
      assert.throws(() => paddedSize(MEDIA_MAX_SIZE + 1), (e: unknown) => e instanceof MediaError && e.code === 'TOO_LARGE');
      for (const bad of [-1, 1.5, NaN, '5' as unknown as number]) assert.throws(() => paddedSize(bad), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED');
    });
  });

  describe('known answer', () => {
    // Key 00 01 … 1f, plaintext "tacit/v1 media vector": padded to 1 KiB, one chunk, nonce 0 || last 1.
    // Computed independently with pyca/cryptography's AESGCM and hashlib, then pinned.
    const plain = new TextEncoder().encode('tacit/v1 media vector');
    const CT_HEAD = '61b7dc9530db462f2e43345d85c71a8170fc683b16b25484730003d92630735e';
    const TAG = '98e766595e9e8ab3c5cc64fbf01a0d34';
    const DIGEST = '0dd1b2aa6a439e4e4753de4577793e8997d551ae3bd198fd124bee55f6d3ab4a';

    it('nonce layout: u64 BE index || u32 BE last flag', () => {
      assert.equal(hex(chunkNonce(0, true)), '000000000000000000000001');
      assert.equal(hex(chunkNonce(2 ** 32 + 5, false)), '000000010000000500000000');
    });

    it('pinned ciphertext head, tag and digest; a mutated ciphertext is TAMPERED', async () => {
      const { ct, digest } = await encrypt(plain, KEY);
      assert.equal(ct.length, 1040);
      assert.equal(hex(ct.subarray(0, 32)), CT_HEAD);
      assert.equal(hex(ct.subarray(1024)), TAG);
      assert.equal(hex(digest), DIGEST);
      assert.deepEqual((await encrypt(plain, KEY, nobleBackend)).ct, ct);
      const { out } = await run(ct, { key: KEY, digest, size: plain.length });
      assert.deepEqual(out, plain);
      const bad = ct.slice();
      bad[1039]! ^= 1;
      assert.ok(tampered((await run(bad, { key: KEY, digest, size: plain.length })).err, 'chunk'));
    });
  });
});
