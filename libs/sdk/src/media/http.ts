/**
 * The media service's HTTP surface as the SDK sees it (docs/media.md): URLs, the refusal bodies,
 * and how a status becomes a `MediaError`. Browser-safe (fetch only).
 * @module
 */
import { checkMediaUrl } from './descriptor.js';
import { MediaError, type MediaErrorCode } from './errors.js';

/** `fetch` as the SDK calls it (the global one by default). */
export type MediaFetch = (input: string, init?: RequestInit) => Promise<Response>;

/** True for https, and for http to loopback (a local node, tests). */
export function isSecureMediaUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The checked base URL without a trailing slash; MALFORMED when it is not one, or plain http to a remote host without `allowInsecure`. */
export function mediaBase(baseUrl: unknown, allowInsecure = false, field = 'baseUrl'): string {
  const url = checkMediaUrl(baseUrl, field);
  if (!allowInsecure && !isSecureMediaUrl(url))
    throw new MediaError('MALFORMED', field, `"${field}" is plain http to a host other than loopback: the blob's id and size would travel in clear (allowInsecure overrides)`);
  return url.replace(/\/+$/, '');
}

/** The tus creation endpoint under `base`. */
export function uploadsUrl(base: string): string {
  return `${base}/v1/media/uploads`;
}

/** The download URL of blob `id` under `base`. */
export function blobUrl(base: string, id: string): string {
  return `${base}/v1/media/blobs/${encodeURIComponent(id)}`;
}

/** Milliseconds of a `Retry-After` header (seconds or an HTTP date), when there is a usable one. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The `code` of a refusal body `{"code","field","message"}`, when the body is one. */
export function refusalCode(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const j = JSON.parse(body) as { code?: unknown };
    return typeof j.code === 'string' ? j.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `MediaError` for a refusal: 413 TOO_LARGE, 429 QUOTA_EXCEEDED or RATE_LIMITED (by the body's
 * code), 404/410 NOT_FOUND, 416 NOT_FOUND (field `range`), 400 MALFORMED, anything else UNAVAILABLE.
 */
export function statusError(status: number, body: string | undefined, retryAfter: string | null | undefined, what: string, field = 'id'): MediaError {
  const code = refusalCode(body);
  const after = retryAfterMs(retryAfter);
  const opts = { status, ...(after === undefined ? {} : { retryAfterMs: after }) };
  let c: MediaErrorCode = 'UNAVAILABLE';
  let f = field;
  if (status === 413) {
    c = 'TOO_LARGE';
    f = 'size';
  } else if (status === 429) c = code === 'QUOTA_EXCEEDED' ? 'QUOTA_EXCEEDED' : 'RATE_LIMITED';
  else if (status === 404 || status === 410) c = 'NOT_FOUND';
  else if (status === 416) {
    c = 'NOT_FOUND';
    f = 'range';
  } else if (status === 400) c = 'MALFORMED';
  return new MediaError(c, f, `${what}: the media service answered ${status}${code ? ` ${code}` : ''}`, opts);
}

/** True for what is worth another try: no answer, 5xx, 408, 423, 429 (RATE_LIMITED only). */
export function retryableStatus(status: number, body?: string): boolean {
  if (status === 0 || status >= 500 || status === 408 || status === 423) return true;
  return status === 429 && refusalCode(body) !== 'QUOTA_EXCEEDED';
}

/** `MediaError` ABORTED for `signal`'s reason. */
export function abortError(signal: AbortSignal | undefined): MediaError {
  return new MediaError('ABORTED', 'signal', 'aborted by the caller', { cause: signal?.reason });
}

/** Waits `ms`, or rejects ABORTED when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
