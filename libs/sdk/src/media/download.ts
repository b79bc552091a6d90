/**
 * Downloading a blob: HTTP Range requests (4 MiB by default) to the media service, each response
 * streamed through a {@link MediaDecryptor}, so that only verified plaintext is ever yielded and
 * memory holds one range's worth at most. A cut connection resumes at the next byte not yet
 * received; 5xx and RATE_LIMITED answers are retried with backoff; the key never leaves the client
 * (the service is asked only for `GET /v1/media/blobs/{id}`).
 * @module
 */
import { defaultBackend, type CryptoBackend } from '@tacit/crypto';
import { MediaDecryptor } from './cipher.js';
import { checkMediaDescriptor, type MediaDescriptor } from './descriptor.js';
import { MediaError } from './errors.js';
import { MEDIA_CIPHER_CHUNK_BYTES } from './format.js';
import { abortError, blobUrl, mediaBase, sleep, statusError, type MediaFetch } from './http.js';

/** Options of {@link downloadMedia}. */
export interface DownloadMediaOptions {
  /** The media service's base URL; default the descriptor's `url`. */
  readonly baseUrl?: string | undefined;
  /** Stops the download: the iteration throws `MediaError` ABORTED. */
  readonly signal?: AbortSignal | undefined;
  /** Ciphertext bytes per Range request (default 4 MiB; rounded up to whole 64 KiB + 16 chunks). */
  readonly rangeSize?: number | undefined;
  /** Tries per range without progress before UNAVAILABLE (default 6); progress resets the count. */
  readonly retries?: number | undefined;
  /** First retry delay (ms, default 250; doubling up to 8 s, or what Retry-After says). */
  readonly backoffMs?: number | undefined;
  /** A request that makes no progress for this long is abandoned and retried (ms, default 30 000; 0: never). */
  readonly stallMs?: number | undefined;
  /** Refuses a descriptor claiming more plaintext than this (TOO_LARGE), before any request. */
  readonly maxSize?: number | undefined;
  /** Allow plain http to hosts other than loopback (default false). */
  readonly allowInsecure?: boolean | undefined;
  /** `fetch` (default: the global one). */
  readonly fetch?: MediaFetch | undefined;
  /** Crypto backend (default: node:crypto on Node, noble in browsers). */
  readonly backend?: CryptoBackend | undefined;
}

const _DEFAULT_RANGE = 4 * 1024 * 1024;

/** An open ranged response and how many body bytes it may carry. */
interface _Opened {
  readonly res: Response;
  readonly length: number;
}

async function _cancel(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/**
 * Sends one Range request for `[start, end)`; resolves to the response once it is a 206 for exactly
 * that start (or a 200 for the whole blob from 0). `total`, when known, is checked against the
 * size the service reports (TAMPERED `length` on a mismatch).
 */
async function _open(
  fetchFn: MediaFetch,
  url: string,
  start: number,
  end: number,
  total: number | undefined,
  reqSignal: AbortSignal | undefined,
  signal: AbortSignal | undefined,
): Promise<_Opened> {
  let res: Response;
  try {
    res = await fetchFn(url, { headers: { range: `bytes=${start}-${end - 1}` }, ...(reqSignal ? { signal: reqSignal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw new MediaError('UNAVAILABLE', 'network', 'the media service could not be reached', { cause: err });
  }
  const wrongTotal = (n: number) => new MediaError('TAMPERED', 'length', `the stored blob has ${n} bytes; the descriptor implies ${total}`);
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (m === null || Number(m[1]) !== start || Number(m[2]) < start || Number(m[2]) >= end) {
      await _cancel(res);
      throw new MediaError('UNAVAILABLE', 'range', `the media service answered another range than bytes ${start}-${end - 1}`, { status: 206 });
    }
    if (total !== undefined && m[3] !== '*' && Number(m[3]) !== total) {
      await _cancel(res);
      throw wrongTotal(Number(m[3]));
    }
    return { res, length: Number(m[2]) - start + 1 };
  }
  if (res.status === 200 && start === 0) {
    // A proxy that drops Range: the whole blob, which the decryptor bounds anyway.
    const n = Number(res.headers.get('content-length') ?? NaN);
    if (total !== undefined && Number.isSafeInteger(n) && n !== total) {
      await _cancel(res);
      throw wrongTotal(n);
    }
    return { res, length: total ?? (Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER) };
  }
  if (res.status === 416) {
    const m = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    await _cancel(res);
    if (total !== undefined && m !== null && Number(m[1]) !== total) throw wrongTotal(Number(m[1]));
    throw new MediaError('NOT_FOUND', 'range', `bytes ${start}-${end - 1} lie past the blob's end`, { status: 416 });
  }
  const body = await res.text().catch(() => '');
  throw statusError(res.status, body, res.headers.get('retry-after'), 'the blob');
}

/**
 * Ciphertext bytes `[start, end)` of blob `id`, as stored (no decryption): for diagnostics and
 * tests. `MediaError` NOT_FOUND (field `id`) for an unknown, expired or incomplete id, NOT_FOUND
 * (field `range`) for a range starting at or past the end.
 */
export async function fetchBlobRange(
  baseUrl: string,
  id: string,
  start: number,
  end: number,
  o: { fetch?: MediaFetch; signal?: AbortSignal; allowInsecure?: boolean } = {},
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start)
    throw new MediaError('MALFORMED', 'range', `"range" expected 0 <= start < end, got ${start}..${end}`);
  const { res } = await _open(o.fetch ?? fetch, blobUrl(mediaBase(baseUrl, o.allowInsecure), id), start, end, undefined, o.signal, o.signal);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Streams the plaintext of the blob `descriptor` names: ranged GETs, each chunk verified before it
 * is yielded, the length and the digest checked at the end. Throws `MediaError`: TAMPERED (any
 * mismatch), NOT_FOUND, UNAVAILABLE (after the retries), RATE_LIMITED / QUOTA_EXCEEDED (when the
 * retries are spent), ABORTED, MALFORMED (a bad descriptor or option), TOO_LARGE (over `maxSize`).
 *
 * The per-chunk tags already catch a chunk altered, swapped, moved, dropped or appended; the digest
 * at the end is a second, whole-blob check, and can only fail after the chunks before it were
 * yielded (each of them verified).
 */
export async function* downloadMedia(descriptor: MediaDescriptor, o: DownloadMediaOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const d = checkMediaDescriptor(descriptor);
  if (o.maxSize !== undefined && d.size > o.maxSize) throw new MediaError('TOO_LARGE', 'descriptor.size', `"descriptor.size" is ${d.size} bytes; at most ${o.maxSize} taken`);
  const baseUrl = o.baseUrl ?? d.url;
  if (baseUrl === undefined) throw new MediaError('MALFORMED', 'baseUrl', '"baseUrl" expected: the descriptor names no media service');
  const url = blobUrl(mediaBase(baseUrl, o.allowInsecure ?? false), d.id);
  const fetchFn = o.fetch ?? fetch;
  const retries = o.retries ?? 6;
  const stallMs = o.stallMs ?? 30_000;
  const backoff = o.backoffMs ?? 250;
  const rangeSize = o.rangeSize ?? _DEFAULT_RANGE;
  if (!Number.isSafeInteger(rangeSize) || rangeSize < 1) throw new MediaError('MALFORMED', 'rangeSize', '"rangeSize" expected a positive integer');
  const step = Math.ceil(rangeSize / MEDIA_CIPHER_CHUNK_BYTES) * MEDIA_CIPHER_CHUNK_BYTES;
  const dec = new MediaDecryptor(d, o.backend ?? defaultBackend);
  const total = dec.layout.ciphertext;
  const signal = o.signal;
  let failures = 0;
  const retry = async (err: MediaError): Promise<void> => {
    if (signal?.aborted) throw abortError(signal);
    // Worth another try: no answer, a cut, 5xx, RATE_LIMITED. Not: a refusal or a mismatch.
    if (failures >= retries || (err.code !== 'UNAVAILABLE' && err.code !== 'RATE_LIMITED')) throw err;
    const wait = err.retryAfterMs ?? Math.min(8000, backoff * 2 ** failures);
    failures++;
    await sleep(wait, signal);
  };
  while (dec.received < total) {
    if (signal?.aborted) throw abortError(signal);
    const start = dec.received;
    // Ranges stay on whole-chunk boundaries, even after a cut mid-range.
    const end = Math.min(total, (Math.floor(start / step) + 1) * step);
    // A stall aborts this request only; the caller's signal still tells an abort from a stall.
    const stall = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      if (stallMs > 0) timer = setTimeout(() => stall.abort(), stallMs);
    };
    const reqSignal = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
    arm();
    let opened: _Opened;
    try {
      opened = await _open(fetchFn, url, start, end, total, reqSignal, signal);
    } catch (err) {
      clearTimeout(timer);
      if (!(err instanceof MediaError)) throw err;
      await retry(err);
      continue;
    }
    const reader = opened.res.body?.getReader();
    if (reader === undefined) throw new MediaError('UNAVAILABLE', 'body', 'a ranged answer without a body');
    let got = 0;
    let cut: MediaError | undefined;
    try {
      for (;;) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          arm();
          r = await reader.read();
        } catch (err) {
          if (signal?.aborted) throw abortError(signal);
          cut = new MediaError('UNAVAILABLE', 'network', 'the connection was cut mid-range', { cause: err });
          break;
        }
        if (r.done) break;
        got += r.value.length;
        if (got > opened.length) throw new MediaError('TAMPERED', 'length', `the media service sent more than the ${opened.length} bytes asked for`);
        const plain = dec.push(r.value);
        failures = 0;
        // The consumer's time is not the service's stall.
        clearTimeout(timer);
        for (const p of plain) yield p;
      }
    } finally {
      clearTimeout(timer);
      await reader.cancel().catch(() => undefined);
    }
    if (cut === undefined && got < opened.length && dec.received < total) cut = new MediaError('UNAVAILABLE', 'network', 'a range ended short');
    if (cut !== undefined) await retry(cut);
  }
  dec.finish();
}
