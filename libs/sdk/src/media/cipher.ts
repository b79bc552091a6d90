/**
 * Chunked authenticated encryption of media (layout in `format.ts`), streaming both ways.
 *
 * Encryption is random access: {@link MediaEncryptor.range} computes any ciphertext range by
 * encrypting only the plaintext chunks under it (AES-GCM is deterministic given key and nonce), so an
 * upload cut anywhere resumes from the server's offset without keeping what was sent, and the digest
 * is taken in one ordered pass beside it. Decryption ({@link MediaDecryptor}) takes the ciphertext
 * in pieces of any size, and hands out a chunk's plaintext only after its tag (index and last flag
 * included) verified; the length and the digest are checked at the end.
 * @module
 */
import { defaultBackend, type CryptoBackend, type HashStream } from '@tacit/crypto';
import { MediaError } from './errors.js';
import {
  chunkNonce,
  chunkPlainLength,
  MEDIA_AAD,
  MEDIA_CHUNK_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
  MEDIA_DIGEST_BYTES,
  MEDIA_KEY_BYTES,
  mediaLayout,
  type MediaLayout,
} from './format.js';
import type { PlainSource } from './source.js';

/** Encrypts chunk `index` of `layout` (its padded plaintext `plain`): `plain || tag`. */
export function encryptChunk(backend: CryptoBackend, key: Uint8Array, layout: MediaLayout, index: number, plain: Uint8Array): Uint8Array {
  return backend.aes256gcm.encrypt(key, chunkNonce(index, index === layout.chunks - 1), plain, MEDIA_AAD);
}

/** Decrypts chunk `index` of `layout`; `MediaError` TAMPERED (field `chunk`) when it does not authenticate there. */
export function decryptChunk(backend: CryptoBackend, key: Uint8Array, layout: MediaLayout, index: number, ct: Uint8Array): Uint8Array {
  try {
    return backend.aes256gcm.decrypt(key, chunkNonce(index, index === layout.chunks - 1), ct, MEDIA_AAD);
  } catch (err) {
    throw new MediaError('TAMPERED', 'chunk', `chunk ${index} does not authenticate: altered, moved, from another blob, or the key is wrong`, { cause: err });
  }
}

function _key(key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== MEDIA_KEY_BYTES)
    throw new MediaError('MALFORMED', 'key', `"key" expected ${MEDIA_KEY_BYTES} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
  return key;
}

/** How much plaintext the digest catch-up encrypts per step (bounded memory whatever the gap). */
const _CATCH_UP = 16 * MEDIA_CHUNK_BYTES;

/**
 * Encrypts one blob from a {@link PlainSource}, by ranges. Also keeps the digest: every byte a range
 * produces is hashed once, in order, and a gap (a range starting past what was hashed, as when an
 * upload resumes after a restart) is first filled by encrypting the bytes before it.
 */
export class MediaEncryptor {
  readonly layout: MediaLayout;
  readonly #key: Uint8Array;
  readonly #source: PlainSource;
  readonly #backend: CryptoBackend;
  #hash: HashStream;
  #hashed = 0;
  #digest: Uint8Array | undefined;

  constructor(key: Uint8Array, source: PlainSource, backend: CryptoBackend = defaultBackend) {
    this.#key = _key(key);
    this.#source = source;
    this.#backend = backend;
    this.layout = mediaLayout(source.size);
    this.#hash = backend.sha256.create();
  }

  /** Ciphertext bytes `[start, end)`, freshly computed; the digest advances over any new bytes. */
  async range(start: number, end: number): Promise<Uint8Array> {
    const total = this.layout.ciphertext;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > total)
      throw new MediaError('MALFORMED', 'range', `"range" expected 0 <= start <= end <= ${total}, got ${start}..${end}`);
    if (start > this.#hashed) await this.#catchUp(start);
    const out = await this.#produce(start, end);
    this.#feed(start, out);
    return out;
  }

  /** The SHA-256 of the whole ciphertext (computing what no range produced yet). */
  async digest(): Promise<Uint8Array> {
    if (this.#digest === undefined) {
      await this.#catchUp(this.layout.ciphertext);
      this.#digest = this.#hash.digest();
    }
    return this.#digest.slice();
  }

  /** The whole ciphertext, chunk by chunk, in order (each piece one chunk: 64 KiB + 16). */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < this.layout.chunks; i++) {
      const start = i * MEDIA_CIPHER_CHUNK_BYTES;
      yield await this.range(start, Math.min(start + MEDIA_CIPHER_CHUNK_BYTES, this.layout.ciphertext));
    }
  }

  async #catchUp(to: number): Promise<void> {
    while (this.#hashed < to) {
      const from = this.#hashed;
      const end = Math.min(to, from + _CATCH_UP + MEDIA_CIPHER_CHUNK_BYTES);
      this.#feed(from, await this.#produce(from, end));
    }
  }

  #feed(start: number, bytes: Uint8Array): void {
    if (this.#digest !== undefined) return;
    const end = start + bytes.length;
    if (start <= this.#hashed && end > this.#hashed) {
      this.#hash.update(bytes.subarray(this.#hashed - start));
      this.#hashed = end;
    }
  }

  async #produce(start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(end - start);
    if (end === start) return out;
    const first = Math.floor(start / MEDIA_CIPHER_CHUNK_BYTES);
    const last = Math.floor((end - 1) / MEDIA_CIPHER_CHUNK_BYTES);
    // The source may forget what lies before the first chunk asked for (a stream's buffer).
    this.#source.release(first * MEDIA_CHUNK_BYTES);
    for (let i = first; i <= last; i++) {
      const ct = encryptChunk(this.#backend, this.#key, this.layout, i, await this.#plain(i));
      const at = i * MEDIA_CIPHER_CHUNK_BYTES;
      const from = Math.max(start, at) - at;
      const to = Math.min(end, at + ct.length) - at;
      out.set(ct.subarray(from, to), at + from - start);
    }
    return out;
  }

  /** Chunk `i`'s padded plaintext: the source's bytes, then zeros. */
  async #plain(i: number): Promise<Uint8Array> {
    const off = i * MEDIA_CHUNK_BYTES;
    const len = chunkPlainLength(this.layout, i);
    const have = Math.max(0, Math.min(len, this.layout.size - off));
    const chunk = new Uint8Array(len);
    if (have > 0) chunk.set(await this.#source.read(off, have));
    return chunk;
  }
}

/** What a receiver needs to check and decrypt a blob: from its descriptor. */
export interface MediaSecrets {
  /** The blob's 32-byte key. */
  readonly key: Uint8Array;
  /** SHA-256 of the whole ciphertext. */
  readonly digest: Uint8Array;
  /** Plaintext bytes. */
  readonly size: number;
}

/**
 * Checks and decrypts one blob's ciphertext as it arrives. `push` takes the next bytes (any split)
 * and returns the plaintext of every chunk they completed, each verified before it is returned;
 * `finish` checks that exactly the expected ciphertext came and that its digest matches. Every
 * mismatch is a `MediaError` TAMPERED, and the decryptor refuses anything after one.
 */
export class MediaDecryptor {
  readonly layout: MediaLayout;
  readonly #key: Uint8Array;
  readonly #digest: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #hash: HashStream;
  readonly #buf = new Uint8Array(MEDIA_CIPHER_CHUNK_BYTES);
  #fill = 0;
  #index = 0;
  #received = 0;
  #failed: MediaError | undefined;
  #done = false;

  constructor(secrets: MediaSecrets, backend: CryptoBackend = defaultBackend) {
    this.#key = _key(secrets.key);
    if (!(secrets.digest instanceof Uint8Array) || secrets.digest.length !== MEDIA_DIGEST_BYTES)
      throw new MediaError('MALFORMED', 'digest', `"digest" expected ${MEDIA_DIGEST_BYTES} bytes`);
    this.#digest = secrets.digest;
    this.layout = mediaLayout(secrets.size);
    this.#backend = backend;
    this.#hash = backend.sha256.create();
  }

  /** Ciphertext bytes taken so far: where a resumed download continues. */
  get received(): number {
    return this.#received;
  }

  /**
   * Takes the next ciphertext bytes; returns the verified plaintext they completed (possibly none).
   * When a chunk fails after others in the same bytes verified, those are returned and the failure
   * is thrown by the next `push` or by `finish` (so always end with `finish`).
   */
  push(bytes: Uint8Array): Uint8Array[] {
    this.#check();
    if (bytes.length > this.layout.ciphertext - this.#received)
      this.#fail(new MediaError('TAMPERED', 'length', `more ciphertext than the ${this.layout.ciphertext} bytes the size implies`));
    this.#hash.update(bytes);
    this.#received += bytes.length;
    const out: Uint8Array[] = [];
    let at = 0;
    try {
      while (at < bytes.length) {
        const want = this.#chunkCipherLength(this.#index) - this.#fill;
        const take = Math.min(want, bytes.length - at);
        this.#buf.set(bytes.subarray(at, at + take), this.#fill);
        this.#fill += take;
        at += take;
        if (this.#fill === this.#chunkCipherLength(this.#index)) {
          const plain = this.#open();
          if (plain.length > 0) out.push(plain);
        }
      }
    } catch (err) {
      // The chunks verified before the failure are still the blob's; the failure waits for the next call.
      if (out.length === 0 || !(err instanceof MediaError)) throw err;
    }
    return out;
  }

  /** Checks the end: every chunk came, and the digest matches. Throws TAMPERED otherwise. */
  finish(): void {
    this.#check();
    if (this.#received !== this.layout.ciphertext)
      this.#fail(new MediaError('TAMPERED', 'length', `the ciphertext ended after ${this.#received} of ${this.layout.ciphertext} bytes`));
    const d = this.#hash.digest();
    let diff = 0;
    for (let i = 0; i < d.length; i++) diff |= d[i]! ^ this.#digest[i]!;
    if (diff !== 0) this.#fail(new MediaError('TAMPERED', 'digest', 'the ciphertext does not match the digest'));
    this.#done = true;
  }

  #chunkCipherLength(i: number): number {
    return chunkPlainLength(this.layout, i) + 16;
  }

  /** The full chunk in the buffer, verified; its plaintext trimmed to the size, the fill checked. */
  #open(): Uint8Array {
    const i = this.#index;
    let plain: Uint8Array;
    try {
      plain = decryptChunk(this.#backend, this.#key, this.layout, i, this.#buf.subarray(0, this.#fill));
    } catch (err) {
      this.#fail(err as MediaError);
    }
    this.#index++;
    this.#fill = 0;
    const off = i * MEDIA_CHUNK_BYTES;
    const keep = Math.max(0, Math.min(plain.length, this.layout.size - off));
    // Non-zero fill: the sender's bug, or a size that is not the one encrypted.
    for (let j = keep; j < plain.length; j++)
      if (plain[j] !== 0) this.#fail(new MediaError('TAMPERED', 'padding', `chunk ${i} has non-zero padding: the size is not the one encrypted`));
    return keep === plain.length ? plain : plain.subarray(0, keep);
  }

  #check(): void {
    if (this.#failed) throw this.#failed;
    if (this.#done) throw new MediaError('MALFORMED', 'ciphertext', 'the decryptor already finished');
  }

  #fail(err: MediaError): never {
    this.#failed = err;
    throw err;
  }
}

/**
 * Decrypts `ciphertext` (pieces of any size) against `secrets`, yielding verified plaintext; throws
 * TAMPERED at the first mismatch (after the last chunk for a wrong length or digest).
 */
export async function* decryptMedia(ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, secrets: MediaSecrets, backend: CryptoBackend = defaultBackend): AsyncGenerator<Uint8Array> {
  const d = new MediaDecryptor(secrets, backend);
  for await (const piece of ciphertext) for (const p of d.push(piece)) yield p;
  d.finish();
}

/** A fresh 32-byte media key. */
export function newMediaKey(backend: CryptoBackend = defaultBackend): Uint8Array {
  return backend.randomBytes(MEDIA_KEY_BYTES);
}
