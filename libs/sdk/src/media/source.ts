/**
 * Where a blob's plaintext comes from: a file path (Node), a Blob (browsers, Node), bytes, or an
 * async iterable of bytes with its size known in advance. All are read by ranges, so a 200 MB file
 * is never in memory whole; a path or a Blob can be re-read anywhere (an upload resumed from any
 * offset), a stream only forward from the start of the last range asked for (an in-process retry),
 * or again from its start (a resume after a restart, with a fresh stream of the same bytes).
 * @module
 */
import { MediaError } from './errors.js';
import { MEDIA_MAX_SIZE } from './format.js';

/** An async iterable of bytes whose total length is known in advance (e.g. a Node `Readable` with a `size`). */
export interface SizedStream {
  /** Total bytes the stream will yield. */
  readonly size: number;
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

/** What `uploadMedia` and `sendMedia` take: a file path (Node only), a Blob or File, bytes, or a {@link SizedStream}. */
export type MediaInput = string | Blob | Uint8Array | SizedStream;

/** Random-access plaintext (internal). */
export interface PlainSource {
  readonly size: number;
  /** Any range can be read again, any number of times (a path, a Blob, bytes); a stream cannot. */
  readonly randomAccess: boolean;
  /** Exactly `length` bytes at `offset` (`offset + length <= size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Bytes before `offset` will not be read again (a stream may drop them). */
  release(offset: number): void;
  close(): Promise<void>;
}

function _bad(field: string, message: string): MediaError {
  return new MediaError('MALFORMED', field, message);
}

function _checkSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw _bad('source.size', '"source.size" expected a non-negative integer');
  if (size > MEDIA_MAX_SIZE) throw new MediaError('TOO_LARGE', 'source.size', `"source.size" expected at most ${MEDIA_MAX_SIZE} bytes, got ${size}`);
  return size;
}

/** Opens `input` for reading by ranges; `MediaError` MALFORMED for anything else. */
export async function openSource(input: MediaInput): Promise<PlainSource> {
  if (typeof input === 'string') return _file(input);
  if (input instanceof Uint8Array) return _bytes(input);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return _blob(input);
  if (typeof input === 'object' && input !== null && typeof (input as SizedStream)[Symbol.asyncIterator] === 'function') return new _StreamSource(input as SizedStream);
  throw _bad('source', '"source" expected a file path, a Blob, a Uint8Array or an async iterable with a size');
}

function _bytes(b: Uint8Array): PlainSource {
  const size = _checkSize(b.length);
  return { size, randomAccess: true, read: async (o, n) => b.subarray(o, o + n), release() {}, async close() {} };
}

function _blob(b: Blob): PlainSource {
  const size = _checkSize(b.size);
  return {
    size,
    randomAccess: true,
    async read(o, n) {
      const out = new Uint8Array(await b.slice(o, o + n).arrayBuffer());
      if (out.length !== n) throw _bad('source', `"source" changed while being read: ${out.length} bytes at ${o}, expected ${n}`);
      return out;
    },
    release() {},
    async close() {},
  };
}

async function _file(path: string): Promise<PlainSource> {
  let fs: typeof import('node:fs/promises');
  try {
    fs = await import('node:fs/promises');
  } catch (err) {
    throw new MediaError('MALFORMED', 'source', '"source" as a file path needs Node (pass a Blob or bytes in a browser)', { cause: err });
  }
  let fh: import('node:fs/promises').FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    throw new MediaError('MALFORMED', 'source', `"source" could not be opened (${(err as { code?: string }).code ?? 'error'})`, { cause: err });
  }
  let size: number;
  try {
    size = _checkSize((await fh.stat()).size);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return {
    size,
    randomAccess: true,
    async read(o, n) {
      const out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const { bytesRead } = await fh.read(out, at, n - at, o + at);
        if (bytesRead === 0) throw _bad('source', `"source" shrank while being read: it ended at ${o + at} of ${size} bytes`);
        at += bytesRead;
      }
      return out;
    },
    release() {},
    close: () => fh.close(),
  };
}

/**
 * A stream read forward, keeping the bytes from the last released offset on, so that a range can be
 * asked for again from there (tus retries from the server's offset, which never lies before the
 * start of the request that failed).
 */
class _StreamSource implements PlainSource {
  readonly size: number;
  readonly randomAccess = false;
  readonly #it: AsyncIterator<Uint8Array>;
  /** Buffered pieces, starting at byte `#base` of the stream. */
  #pieces: Uint8Array[] = [];
  #base = 0;
  #end = 0;
  #ended = false;

  constructor(s: SizedStream) {
    this.size = _checkSize(s.size);
    this.#it = s[Symbol.asyncIterator]();
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < this.#base)
      throw new MediaError('UNAVAILABLE', 'source', `"source" is a stream already read past ${offset}: pass a path or a Blob to resume from further back`);
    while (this.#end < offset + length) {
      const r = this.#ended ? { done: true as const, value: undefined } : await this.#it.next();
      if (r.done) {
        this.#ended = true;
        throw _bad('source', `"source" ended after ${this.#end} bytes; its size says ${this.size}`);
      }
      if (!(r.value instanceof Uint8Array)) throw _bad('source', '"source" yielded something other than a Uint8Array');
      if (this.#end + r.value.length > this.size) throw _bad('source', `"source" yields more than its size (${this.size} bytes)`);
      this.#pieces.push(r.value);
      this.#end += r.value.length;
    }
    const out = new Uint8Array(length);
    let pos = this.#base;
    for (const p of this.#pieces) {
      const from = Math.max(offset, pos);
      const to = Math.min(offset + length, pos + p.length);
      if (from < to) out.set(p.subarray(from - pos, to - pos), from - offset);
      pos += p.length;
      if (pos >= offset + length) break;
    }
    return out;
  }

  release(offset: number): void {
    while (this.#pieces.length > 0 && this.#base + this.#pieces[0]!.length <= offset) {
      this.#base += this.#pieces.shift()!.length;
    }
  }

  async close(): Promise<void> {
    this.#pieces = [];
    await this.#it.return?.();
  }
}
