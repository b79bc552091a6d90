/**
 * Where blobs live: one {@link BlobStore} port with an S3 adapter (the cluster; MinIO in tests and
 * the kind stack) and a folder adapter (the one-container node). Each wraps the tus data store that
 * takes the uploads, and adds what tus does not do: ranged reads of completed blobs only, and the
 * sweep of completed blobs past their expiry.
 * @module
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FileStore } from '@tus/file-store';
import type { MetadataValue } from '@tus/s3-store';
import type { DataStore, KvStore } from '@tus/utils';
import { isBlobId } from './ids.js';
import { StreamingS3Store } from './streaming-s3-store.js';

/** A completed blob: its size and when it was written (its expiry counts from there). */
export interface BlobInfo {
  size: number;
  writtenAt: Date;
}

/** The storage port of the media service. */
export interface BlobStore {
  readonly kind: 's3' | 'fs';
  /** The tus data store uploads go through. */
  readonly tus: DataStore;
  /** Makes the bucket or folder if missing. */
  open(): Promise<void>;
  /** The completed blob `id` (a checked id), or undefined: unknown, unfinished, or deleted. */
  info(id: string): Promise<BlobInfo | undefined>;
  /**
   * A URL a client can GET the blob `id` from directly for `ttlMs` (S3: a presigned GetObject; the
   * client's Range header goes with it). Absent: the store has no such URL (a folder).
   */
  presign?(id: string, ttlMs: number): Promise<string>;
  /** S3: PATCHes streamed into S3, and buffered in temp files (of those, how many because streaming was full). */
  readonly patchWrites?: { readonly streamed: number; readonly buffered: number; readonly full: number };
  /** Bytes `start` to `end` (inclusive) of the completed blob `id`, streamed. */
  read(id: string, start: number, end: number, signal?: AbortSignal): Promise<Readable>;
  /** Deletes completed blobs written before `before`; how many. */
  sweepCompleted(before: Date): Promise<number>;
  /** Throws when the store cannot be reached (readiness). */
  check(): Promise<void>;
  close(): void;
}

/** S3 connection settings. */
export interface S3Settings {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** The endpoint clients reach, which presigned URLs are signed for; unset: `endpoint`. */
  publicEndpoint?: string | undefined;
}

/** Upload metadata S3Store keeps between requests; its default cache is an unbounded Map. */
class _BoundedKv<T> implements KvStore<T> {
  readonly #map = new Map<string, T>();
  constructor(readonly max: number) {}
  get size(): number {
    return this.#map.size;
  }
  async get(key: string): Promise<T | undefined> {
    return this.#map.get(key);
  }
  async set(key: string, value: T): Promise<void> {
    this.#map.delete(key);
    this.#map.set(key, value);
    // A dropped entry is only a cache miss: S3Store reads the .info object again.
    while (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }
  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }
}

const _quiet = (): void => {};
const _QUIET = { trace: _quiet, debug: _quiet, info: _quiet, warn: _quiet, error: _quiet };

function _isS3NotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.name === 'NoSuchBucket' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs in an S3 bucket. tus's S3Store writes each upload as a multipart upload of key `{id}` (parts
 * buffered in temporary files, never whole in memory), with `{id}.info` beside it and `{id}.part`
 * for a trailing piece smaller than a part; the object `{id}` exists only once the upload completed,
 * so a read of it never serves an unfinished blob.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly tus: StreamingS3Store;
  readonly client: S3Client;
  readonly #bucket: string;
  readonly #cache: _BoundedKv<MetadataValue>;
  readonly #presigner: S3Client;

  constructor(s: S3Settings, opts: { partSize: number; uploadExpiryMs: number; cacheEntries?: number; maxStreamedPatches?: number }) {
    const config: S3ClientConfig = {
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      // No CRC of every part and every download in JavaScript: a blob is ciphertext the SDK checks
      // chunk by chunk (AES-GCM tags) and whole (its digest), so S3's checksums add nothing but CPU
      // (a small part of the upload row's time: 0.34x → 0.37x a direct PutObject without them).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a logger the SDK writes some warnings to the console (a streamed part cut short:
      // "non-retryable streaming request"), past the service's JSON log; its errors reach us as exceptions.
      logger: _QUIET,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.credentials ? { credentials: s.credentials } : {}),
    };
    this.#bucket = s.bucket;
    this.client = new S3Client(config);
    // A URL is signed for the host a client sends it to: another client when that one differs.
    this.#presigner = s.publicEndpoint && s.publicEndpoint !== s.endpoint ? new S3Client({ ...config, endpoint: s.publicEndpoint }) : this.client;
    this.#cache = new _BoundedKv(opts.cacheEntries ?? 10_000);
    this.tus = new StreamingS3Store({
      partSize: opts.partSize,
      // Parts being sent to S3 at once, all uploads of this replica (tus's default is 60): each may
      // be held in memory by the SDK while it goes, so this bounds the replica's part memory.
      maxConcurrentPartUploads: 8,
      maxStreamedPatches: opts.maxStreamedPatches,
      cache: this.#cache,
      expirationPeriodInMilliseconds: opts.uploadExpiryMs,
      s3ClientConfig: { ...config, bucket: s.bucket },
    });
  }

  get patchWrites(): { streamed: number; buffered: number; full: number } {
    return this.tus.writes;
  }

  /** Entries in the upload-metadata cache (bounded). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  async open(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      if (!_isS3NotFound(err)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
    }
  }

  async info(id: string): Promise<BlobInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: id }));
      return { size: head.ContentLength ?? 0, writtenAt: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (_isS3NotFound(err)) return undefined;
      throw err;
    }
  }

  /** A presigned GetObject of `id`: signed here, no request to S3; the URL names the access key id (not the secret). */
  presign(id: string, ttlMs: number): Promise<string> {
    return getSignedUrl(this.#presigner, new GetObjectCommand({ Bucket: this.#bucket, Key: id }), { expiresIn: Math.max(1, Math.round(ttlMs / 1000)) });
  }

  async read(id: string, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: id, Range: `bytes=${start}-${end}` }), signal ? { abortSignal: signal } : {});
    return out.Body as Readable;
  }

  async sweepCompleted(before: Date): Promise<number> {
    let token: string | undefined;
    let deleted = 0;
    // Bounded in pages per sweep: a bucket of millions is swept over several runs, not in one burst.
    for (let page = 0; page < 10_000; page++) {
      const list = await this.client.send(new ListObjectsV2Command({ Bucket: this.#bucket, ContinuationToken: token, MaxKeys: 1000 }));
      const old = (list.Contents ?? []).filter((o) => o.Key && isBlobId(o.Key) && o.LastModified && o.LastModified < before).map((o) => o.Key!);
      if (old.length > 0) {
        // The blob and its .info go together (500 blobs → 1,000 keys: DeleteObjects's most).
        for (let i = 0; i < old.length; i += 500) {
          const keys = old.slice(i, i + 500).flatMap((k) => [{ Key: k }, { Key: `${k}.info` }]);
          await this.client.send(new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: keys, Quiet: true } }));
        }
        deleted += old.length;
      }
      if (!list.IsTruncated) break;
      token = list.NextContinuationToken;
    }
    return deleted;
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
  }

  close(): void {
    this.client.destroy();
    this.tus.destroy();
    if (this.#presigner !== this.client) this.#presigner.destroy();
  }
}

/**
 * Blobs in a folder (the node's DATA_DIR/media): tus's FileStore writes `{id}` and `{id}.json`; a
 * blob is complete when its file holds the length the upload declared. Its expiry counts from the
 * file's last write, which is the upload's last byte.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs';
  readonly tus: FileStore;
  readonly #dir: string;

  constructor(dir: string, opts: { uploadExpiryMs: number }) {
    this.#dir = dir;
    this.tus = new FileStore({ directory: dir, expirationPeriodInMilliseconds: opts.uploadExpiryMs });
  }

  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  async info(id: string): Promise<BlobInfo | undefined> {
    try {
      const upload = await this.tus.getUpload(id);
      if (upload.size === undefined || upload.offset !== upload.size) return undefined;
      const st = await stat(`${this.#dir}/${id}`);
      return { size: upload.size, writtenAt: st.mtime };
    } catch {
      // FileStore throws its ERRORS objects for a missing file or record.
      return undefined;
    }
  }

  async read(id: string, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    return createReadStream(`${this.#dir}/${id}`, { start, end, ...(signal ? { signal } : {}) });
  }

  async sweepCompleted(before: Date): Promise<number> {
    let deleted = 0;
    for (const name of await readdir(this.#dir)) {
      if (!isBlobId(name)) continue;
      const blob = await this.info(name);
      if (!blob || blob.writtenAt >= before) continue;
      await this.tus.remove(name).catch(() => undefined);
      deleted++;
    }
    return deleted;
  }

  async check(): Promise<void> {
    await stat(this.#dir);
  }

  close(): void {}
}
