/**
 * Uploading a blob: a fresh key, the ciphertext's length known in advance (padded size + 16 per
 * chunk, the tus `Upload-Length`), and tus-js-client fed by a file reader whose `slice(start, end)`
 * encrypts exactly the plaintext chunks under that ciphertext range. On Node, from a path, a Blob or
 * bytes, a PATCH's body is a stream encrypted as it is sent (64 MiB PATCHes, ~1 MiB in memory: a
 * retry re-reads the source); from a stream or in a browser, each PATCH is encrypted whole before it
 * goes (8 MiB). Either way the upload resumes from whatever offset the server reports after a cut:
 * in process (tus-js-client's retries with backoff), or after a restart (the app kept the
 * {@link MediaUploadState} that `onResumable` gave it and passes it back as `resume`, with a source
 * of the same bytes). The media service sees the ciphertext and its length, never the key.
 *
 * tus-js-client is imported on first use, so the SDK's browser build loads it only where media is sent.
 * @module
 */
import { defaultBackend, type CryptoBackend } from '@tacit/crypto';
import type { DetailedError, HttpRequest, HttpStack, Upload as TusUpload, UploadOptions as TusOptions } from 'tus-js-client';
import { MediaEncryptor, newMediaKey } from './cipher.js';
import { MediaError } from './errors.js';
import { MEDIA_CIPHER_CHUNK_BYTES, MEDIA_KEY_BYTES } from './format.js';
import { abortError, mediaBase, retryableStatus, statusError, uploadsUrl } from './http.js';
import { openSource, type MediaInput, type PlainSource } from './source.js';

/** What resumes an interrupted upload after a restart: keep it where the app keeps secrets (it holds the key). */
export interface MediaUploadState {
  /** The tus upload URL the service gave (`…/v1/media/uploads/{id}`). */
  readonly uploadUrl: string;
  /** The blob's key: the same bytes must be encrypted under the same key again. */
  readonly key: Uint8Array;
  /** The plaintext size, to refuse a different source. */
  readonly size: number;
}

/** Options of {@link uploadMedia}. */
export interface UploadMediaOptions {
  /** The media service's base URL (`https://host:port`). */
  readonly baseUrl: string;
  /** Stops the upload (MediaError ABORTED); what reached the service stays there to resume, until it expires. */
  readonly signal?: AbortSignal | undefined;
  /** Ciphertext bytes sent so far and in all (may step back to the server's offset after a retry). */
  readonly onProgress?: ((sent: number, total: number) => void) | undefined;
  /** Called when the service gave the upload its URL: persist the state to resume after a restart. */
  readonly onResumable?: ((state: MediaUploadState) => void) | undefined;
  /** An earlier attempt's state ({@link onResumable}): resume it (same key, same bytes), from the service's offset. */
  readonly resume?: MediaUploadState | undefined;
  /**
   * Bytes per PATCH request. Default: {@link MEDIA_UPLOAD_STREAMED_CHUNK} (64 MiB) where the body is
   * streamed (Node, from a path, a Blob or bytes: ~1 MiB in memory whatever the size), else
   * {@link MEDIA_UPLOAD_CHUNK} (8 MiB, held in memory while the request goes).
   */
  readonly chunkSize?: number | undefined;
  /** Delays (ms) of tus-js-client's retries on network errors, 5xx, 409, 423 and RATE_LIMITED; progress resets them. */
  readonly retryDelays?: readonly number[] | undefined;
  /**
   * A request that makes no progress (no bytes sent, no answer) for this long is abandoned and retried
   * from the server's offset (ms, default 30 000; 0: never). A link that stalls rather than breaks.
   */
  readonly stallMs?: number | undefined;
  /** Extra request headers (e.g. an app's authorization for the media service). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Allow plain http to hosts other than loopback (default false). */
  readonly allowInsecure?: boolean | undefined;
  /** Crypto backend (default: node:crypto on Node, noble in browsers). */
  readonly backend?: CryptoBackend | undefined;
}

/** An uploaded blob: everything a descriptor needs but the type. */
export interface UploadedMedia {
  readonly id: string;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  readonly size: number;
  /** The base URL it was uploaded to. */
  readonly url: string;
}

/** Default PATCH size when a PATCH's ciphertext is held in memory (browsers, stream sources): large enough that a request's round trip is small next to its transfer. */
export const MEDIA_UPLOAD_CHUNK = 8 * 1024 * 1024;
/**
 * Default PATCH size when its body is streamed (Node, random-access sources). Each PATCH ends with a
 * wait for S3 to store its last part, which nothing overlaps: 8 MiB PATCHes reached 0.58x a direct S3
 * upload, 64 MiB ones 0.8x (docs/benchmarks.md). Under the 100 MB request-body caps common at proxies.
 */
export const MEDIA_UPLOAD_STREAMED_CHUNK = 64 * 1024 * 1024;
/** Ciphertext encrypted per step of a streamed PATCH body: 16 cipher chunks (~1 MiB). */
const _STREAM_PIECE = 16;
const _RETRY_DELAYS = [250, 1000, 3000, 5000, 10_000, 20_000];
const _STALL_MS = 30_000;

/** A Node stream as a PATCH body (what {@link _streamedSlice} gives). */
interface _BodyStream {
  once(event: 'error', listener: (err: unknown) => void): unknown;
  destroy(): unknown;
}

function _isStream(body: unknown): body is _BodyStream {
  return typeof body === 'object' && body !== null && typeof (body as _BodyStream).once === 'function' && typeof (body as _BodyStream).destroy === 'function';
}

/**
 * tus-js-client's HTTP stack with a stall timer: each request's `send` fails once `stallMs` pass
 * without a progress event or an answer (the request is aborted), which tus-js-client then retries
 * like any network error. Its own stacks have no timeout at all. A streamed body that fails (the
 * source changed or shrank) aborts its request with that error: tus-js-client's Node stack pipes the
 * body into the request and would otherwise wait for bytes that never come. A body still streaming
 * when its request ends (answered early, aborted) is destroyed.
 */
function _stack(inner: HttpStack, stallMs: number): HttpStack {
  return {
    getName: () => `${inner.getName()}+stall`,
    createRequest(method: string, url: string): HttpRequest {
      const req = inner.createRequest(method, url);
      let onProgress: (bytesSent: number) => void = () => {};
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stalled: (() => void) | undefined;
      let stream: _BodyStream | undefined;
      const arm = () => {
        clearTimeout(timer);
        if (stallMs > 0) timer = setTimeout(() => stalled?.(), stallMs);
      };
      const done = () => {
        clearTimeout(timer);
        stream?.destroy();
      };
      return {
        getMethod: () => req.getMethod(),
        getURL: () => req.getURL(),
        setHeader: (h, v) => req.setHeader(h, v),
        getHeader: (h) => req.getHeader(h),
        setProgressHandler: (handler) => void (onProgress = handler),
        abort: () => {
          done();
          return req.abort();
        },
        getUnderlyingObject: () => req.getUnderlyingObject(),
        send(body: unknown) {
          req.setProgressHandler((n) => {
            arm();
            onProgress(n);
          });
          return new Promise((resolve, reject) => {
            stalled = () => {
              void req.abort();
              reject(new Error(`no progress for ${stallMs} ms`));
            };
            if (_isStream(body)) {
              stream = body;
              body.once('error', (err) => {
                done();
                void req.abort();
                reject(err instanceof Error ? err : new Error(String(err)));
              });
            }
            arm();
            req.send(body).then(
              (res) => {
                done();
                resolve(res);
              },
              (err: unknown) => {
                done();
                reject(err instanceof Error ? err : new Error(String(err)));
              },
            );
          });
        },
      };
    },
  };
}

/**
 * Ciphertext `[start, end)` as a Node stream encrypted as it is read, `~1 MiB` at a time; `size` is
 * what tus-js-client's Node stack sends as the PATCH's Content-Length.
 */
async function _streamedSlice(enc: MediaEncryptor, start: number, end: number): Promise<unknown> {
  const { Readable } = await import('node:stream');
  const piece = _STREAM_PIECE * MEDIA_CIPHER_CHUNK_BYTES;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let at = start; at < end; at += piece) yield await enc.range(at, Math.min(end, at + piece));
  }
  return Object.assign(Readable.from(pieces(), { objectMode: false, highWaterMark: piece }), { size: end - start });
}

/**
 * Whether PATCH bodies can be streams: tus-js-client's Node stack pipes them; its browser stack (XHR,
 * also what a bundle for Electron's renderer gets) cannot send one. Asked of the stack, not `process`.
 */
function _canStream(source: PlainSource, stack: HttpStack): boolean {
  return source.randomAccess && stack.getName() === 'NodeHttpStack';
}

const _ID = /^[A-Za-z0-9_-]{22,128}$/;

/**
 * Encrypts `input` under a fresh key (or `resume.key`) and uploads it to the media service by tus.
 * Resolves once the service holds all of it. Throws `MediaError`: TOO_LARGE (over the format's limit
 * or the service's cap), QUOTA_EXCEEDED, RATE_LIMITED, UNAVAILABLE (after the retries), ABORTED,
 * MALFORMED (a bad source, option or resume state), NOT_FOUND.
 */
export async function uploadMedia(input: MediaInput, o: UploadMediaOptions): Promise<UploadedMedia> {
  const base = mediaBase(o.baseUrl, o.allowInsecure ?? false);
  const chunkSize = o.chunkSize;
  if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 1024 || chunkSize > 1 << 30))
    throw new MediaError('MALFORMED', 'chunkSize', `"chunkSize" expected 1024..${1 << 30}, got ${String(chunkSize)}`);
  if (o.resume !== undefined) {
    if (!(o.resume.key instanceof Uint8Array) || o.resume.key.length !== MEDIA_KEY_BYTES) throw new MediaError('MALFORMED', 'resume.key', `"resume.key" expected ${MEDIA_KEY_BYTES} bytes`);
    mediaBase(o.resume.uploadUrl, o.allowInsecure ?? false, 'resume.uploadUrl');
  }
  if (o.signal?.aborted) throw abortError(o.signal);
  const backend = o.backend ?? defaultBackend;
  const source = await openSource(input);
  try {
    if (o.resume !== undefined && o.resume.size !== source.size)
      throw new MediaError('MALFORMED', 'resume.size', `"resume.size" is ${o.resume.size} bytes but the source has ${source.size}: resume with the same bytes`);
    const key = o.resume?.key.slice() ?? newMediaKey(backend);
    const enc = new MediaEncryptor(key, source, backend);
    const uploadUrl = await _tus(enc, source, key, base, o);
    const id = decodeURIComponent(new URL(uploadUrl).pathname.split('/').pop() ?? '');
    if (!_ID.test(id)) throw new MediaError('UNAVAILABLE', 'id', 'the media service named the upload with an id that is not one');
    return { id, key, digest: await enc.digest(), size: source.size, url: base };
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** Runs the tus upload; resolves to its URL. */
async function _tus(enc: MediaEncryptor, source: PlainSource, key: Uint8Array, base: string, o: UploadMediaOptions): Promise<string> {
  const tus = await import('tus-js-client');
  const total = enc.layout.ciphertext;
  const stack = new tus.DefaultHttpStack({});
  const streamed = _canStream(source, stack);
  const chunkSize = o.chunkSize ?? (streamed ? MEDIA_UPLOAD_STREAMED_CHUNK : MEDIA_UPLOAD_CHUNK);
  const fileReader = {
    openFile: async () => ({
      size: total,
      // tus-js-client's HTTP stacks send a Uint8Array as is; the Node one reads `size` for Content-Length.
      slice: async (start: number, end: number) => {
        const to = Math.min(end, total);
        const value = streamed ? await _streamedSlice(enc, start, to) : Object.assign(await enc.range(start, to), { size: to - start });
        return { value, done: end >= total };
      },
      close() {},
    }),
  };
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, url?: string) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve(url!);
      else reject(err);
    };
    const options: TusOptions = {
      endpoint: uploadsUrl(base),
      uploadUrl: o.resume?.uploadUrl ?? null,
      uploadSize: total,
      chunkSize,
      retryDelays: [...(o.retryDelays ?? _RETRY_DELAYS)],
      fileReader,
      httpStack: _stack(stack, o.stallMs ?? _STALL_MS),
      // No fingerprints and no URL storage: the app keeps the resume state (it holds the key).
      fingerprint: async () => null as unknown as string,
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      headers: { ...(o.headers ?? {}) },
      onProgress: (sent, all) => o.onProgress?.(sent, all),
      onUploadUrlAvailable: () => {
        if (up.url) o.onResumable?.({ uploadUrl: up.url, key: key.slice(), size: source.size });
      },
      onShouldRetry: (err) => {
        // A source that cannot give the bytes (changed, shrank, a stream read past) will not do better later.
        if (err.causingError instanceof MediaError) return false;
        const res = err.originalResponse;
        const status = res ? res.getStatus() : 0;
        return status === 409 || retryableStatus(status, res?.getBody());
      },
      onSuccess: () => finish(undefined, up.url ?? ''),
      onError: (err) => finish(_mapError(err)),
    };
    const up: TusUpload = new tus.Upload(source as unknown as Blob, options);
    const onAbort = () => {
      void up.abort(false).catch(() => undefined);
      finish(abortError(o.signal));
    };
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    up.start();
  });
}

function _mapError(err: Error | DetailedError): MediaError {
  const d = err as Partial<DetailedError>;
  if (d.causingError instanceof MediaError) return d.causingError;
  const res = d.originalResponse;
  if (res) return statusError(res.getStatus(), res.getBody(), res.getHeader('Retry-After'), 'the upload', 'upload');
  if (d.originalRequest) return new MediaError('UNAVAILABLE', 'network', 'the media service could not be reached (retries spent)', { cause: err });
  return new MediaError('UNAVAILABLE', 'upload', 'the upload failed', { cause: err });
}
