/**
 * The media service's rules: who may upload how much and how often, which blobs exist, and when
 * they go. No HTTP here (that is {@link MediaEdge}); storage, counters and the clock come in.
 * @module
 */
import type { MediaLimits } from './config.js';
import { MediaError, type MediaErrorCode } from './errors.js';
import { InFlight, type WindowCounter } from './limits.js';
import type { BlobInfo, BlobStore } from './store.js';

/** A day, the quota's window. */
const _DAY_MS = 86_400_000;
/** A minute, the request rate's window. */
const _MINUTE_MS = 60_000;

/** Counts since start (metrics): numbers and bytes only, never ids or addresses. */
export interface MediaStats {
  uploadsCreated: number;
  bytesDeclared: number;
  uploadsCompleted: number;
  bytesCompleted: number;
  downloads: number;
  bytesServed: number;
  /** GETs answered with a redirect to the store (MEDIA_DOWNLOADS=redirect): their bytes are not counted here. */
  redirected: number;
  sweptBlobs: number;
  sweptUploads: number;
  sweepFailures: number;
  refused: Partial<Record<MediaErrorCode, number>>;
}

/** Options of {@link MediaService}. */
export interface MediaServiceOptions {
  store: BlobStore;
  counter: WindowCounter;
  limits: MediaLimits;
  now?: () => number;
  /** Told when a sweep failed (it runs again at the next interval). */
  onSweepError?: (err: unknown) => void;
}

/** The rules of the media service. */
export class MediaService {
  readonly #store: BlobStore;
  readonly #counter: WindowCounter;
  readonly #limits: MediaLimits;
  readonly #now: () => number;
  readonly #inflight = new InFlight();
  readonly #uploads = new InFlight();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sweeping: Promise<unknown> | undefined;
  #stopped = false;
  readonly #stats: MediaStats = {
    uploadsCreated: 0,
    bytesDeclared: 0,
    uploadsCompleted: 0,
    bytesCompleted: 0,
    downloads: 0,
    bytesServed: 0,
    redirected: 0,
    sweptBlobs: 0,
    sweptUploads: 0,
    sweepFailures: 0,
    refused: {},
  };

  constructor(private readonly opts: MediaServiceOptions) {
    this.#store = opts.store;
    this.#counter = opts.counter;
    this.#limits = opts.limits;
    this.#now = opts.now ?? Date.now;
  }

  get limits(): MediaLimits {
    return this.#limits;
  }

  /** Requests and upload requests in flight on this replica, and the addresses the per-address map holds (bounded by them). */
  get inflight(): { requests: number; uploads: number; uploaders: number } {
    return { requests: this.#inflight.total, uploads: this.#uploads.total, uploaders: this.#uploads.size };
  }

  /** A copy of the counts. */
  stats(): MediaStats {
    return { ...this.#stats, refused: { ...this.#stats.refused } };
  }

  /** Counts a refusal and returns it, to throw. */
  refuse(err: MediaError): MediaError {
    this.#stats.refused[err.code] = (this.#stats.refused[err.code] ?? 0) + 1;
    return err;
  }

  /**
   * Admits one request of the client keyed `address`: this replica's requests in flight, and the
   * address's requests per minute across replicas. The release, to call when the response ended.
   */
  async admit(address: string): Promise<() => void> {
    const release = this.#inflight.acquire('', this.#limits.maxInflight);
    if (!release) throw this.refuse(new MediaError('UNAVAILABLE', 'request', 'this replica serves as many requests as it takes; retry', { retryAfter: 1 }));
    try {
      const rate = await this.#counter.take(`r:${address}`, 1, this.#limits.requestsPerMinute, _MINUTE_MS);
      if (!rate.ok) throw this.refuse(new MediaError('RATE_LIMITED', 'request', `more than ${this.#limits.requestsPerMinute} requests a minute from this address`, { retryAfter: Math.ceil(rate.retryAfterMs / 1000) }));
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  /** Admits one upload request (POST or PATCH: it carries bytes) of `address` on this replica; the release. */
  admitUpload(address: string): () => void {
    const release = this.#uploads.acquire(address, this.#limits.maxConcurrentUploads);
    if (!release) throw this.refuse(new MediaError('RATE_LIMITED', 'request', `more than ${this.#limits.maxConcurrentUploads} uploads at once from this address`, { retryAfter: 1 }));
    return release;
  }

  /**
   * Checks a new upload's declared length (the raw Upload-Length header) against the cap and charges
   * it to the address's daily quota; returns the length and a refund (for an upload the store then
   * did not create).
   */
  async reserve(address: string, uploadLength: string | undefined, deferLength: string | undefined): Promise<{ length: number; refund: () => Promise<void> }> {
    if (deferLength !== undefined) throw this.refuse(new MediaError('MALFORMED', 'Upload-Defer-Length', 'a deferred length is not taken: send Upload-Length'));
    if (uploadLength === undefined || !/^\d{1,16}$/.test(uploadLength)) throw this.refuse(new MediaError('MALFORMED', 'Upload-Length', 'Upload-Length expected a decimal byte count'));
    const length = Number(uploadLength);
    if (length < 1) throw this.refuse(new MediaError('MALFORMED', 'Upload-Length', 'Upload-Length expected at least 1 byte, got 0'));
    if (length > this.#limits.maxBlobBytes) throw this.refuse(new MediaError('TOO_LARGE', 'Upload-Length', `Upload-Length expected at most ${this.#limits.maxBlobBytes} bytes, got ${length}`));
    const quota = await this.#counter.take(`q:${address}`, length, this.#limits.quotaBytesPerDay, _DAY_MS);
    if (!quota.ok) {
      throw this.refuse(new MediaError('QUOTA_EXCEEDED', 'Upload-Length', `this address's uploads would pass ${this.#limits.quotaBytesPerDay} bytes today`, { retryAfter: Math.ceil(quota.retryAfterMs / 1000) }));
    }
    let refunded = false;
    return {
      length,
      refund: async () => {
        if (refunded) return;
        refunded = true;
        await this.#counter.give(`q:${address}`, length, _DAY_MS);
      },
    };
  }

  /** Counts a created upload. */
  created(length: number): void {
    this.#stats.uploadsCreated++;
    this.#stats.bytesDeclared += length;
  }

  /** Counts a completed upload. */
  completed(size: number): void {
    this.#stats.uploadsCompleted++;
    this.#stats.bytesCompleted += size;
  }

  /** Counts bytes sent by a download. */
  served(bytes: number): void {
    this.#stats.downloads++;
    this.#stats.bytesServed += bytes;
  }

  /** Counts a download sent to the store by a redirect. */
  redirectedDownload(): void {
    this.#stats.redirected++;
  }

  /** The completed, unexpired blob `id` (an id already checked for shape), or NOT_FOUND. */
  async blob(id: string): Promise<BlobInfo> {
    let info: BlobInfo | undefined;
    try {
      info = await this.#store.info(id);
    } catch (err) {
      throw this.refuse(new MediaError('UNAVAILABLE', 'store', 'the blob store did not answer; retry', { cause: err, retryAfter: 1 }));
    }
    // Past its expiry a blob is gone even before the sweeper deleted it.
    if (!info || info.writtenAt.getTime() + this.#limits.expiryMs <= this.#now()) throw this.refuse(new MediaError('NOT_FOUND', 'id', 'no blob with this id'));
    return info;
  }

  /** One sweep: abandoned uploads (tus's expiration; on S3 their multipart uploads aborted) and expired blobs. */
  async sweep(): Promise<{ uploads: number; blobs: number }> {
    const run = (async () => {
      const uploads = await this.#store.tus.deleteExpired();
      const blobs = await this.#store.sweepCompleted(new Date(this.#now() - this.#limits.expiryMs));
      this.#stats.sweptUploads += uploads;
      this.#stats.sweptBlobs += blobs;
      return { uploads, blobs };
    })();
    this.#sweeping = run.catch(() => undefined);
    return run;
  }

  /** Sweeps every MEDIA_SWEEP_INTERVAL until {@link stop}. */
  start(): void {
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        this.sweep().then(
          () => !this.#stopped && tick(),
          (err: unknown) => {
            this.#stats.sweepFailures++;
            this.opts.onSweepError?.(err);
            if (!this.#stopped) tick();
          },
        );
      }, this.#limits.sweepIntervalMs);
      this.#timer.unref();
    };
    tick();
  }

  /** Stops sweeping; waits for a sweep under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#sweeping;
  }
}
