// Spec helpers: the media service started in process over the folder store or a real MinIO, and a
// few raw HTTP calls (tus is plain HTTP; the specs speak it byte by byte to see every header).
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createLogger } from '@tacit/kit';
import { startService, type RunningService, type ServiceDefinition } from '@tacit/platform';
import { startMinio, type MinioServer } from '@tacit/testing';
import { mediaConfigSchema, mediaSettingsIssues, type MediaConfig } from './config.js';
import { MediaLifecycle, MediaModule, MEDIA_STORE } from './media.module.js';
import { MediaService } from './media.service.js';
import { S3BlobStore, type BlobStore } from './store.js';

/** Both stores, for one shared spec. */
export const STORES = ['fs', 's3'] as const;
export type StoreKind = (typeof STORES)[number];

const _def: ServiceDefinition<typeof mediaConfigSchema> = { name: 'media', module: MediaModule, config: mediaConfigSchema, prefixes: ['MEDIA_', 'S3_'], checks: [mediaSettingsIssues] };

let _minio: Promise<MinioServer> | undefined;
let _buckets = 0;

/** One MinIO for the spec file (started on first use). */
export function sharedMinio(): Promise<MinioServer> {
  _minio ??= startMinio();
  return _minio;
}

/** Stops the spec file's MinIO, if it started. */
export async function stopSharedMinio(): Promise<void> {
  if (_minio) await (await _minio).stop();
  _minio = undefined;
}

/** A media service under test. */
export interface MediaSut {
  url: string;
  service: RunningService<MediaConfig>;
  media: MediaService;
  store: BlobStore;
  /** Names every object (S3) or file (fs) the store holds, and the S3 multipart uploads under way. */
  contents(): Promise<{ objects: string[]; multipart: string[] }>;
  close(): Promise<void>;
}

/** Starts the media service over `kind` with small limits unless `env` says otherwise. */
export async function startMedia(kind: StoreKind, env: Record<string, string> = {}): Promise<MediaSut> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tacit-media-'));
  const base: Record<string, string> = { MEDIA_HOST: '127.0.0.1', MEDIA_PORT: '0', OPS_HOST: '127.0.0.1', OPS_PORT: '0', DATA_DIR: dir, MEDIA_STORE: kind, MEDIA_PART_SIZE: '5MiB' };
  if (kind === 's3') {
    const minio = await sharedMinio();
    Object.assign(base, {
      S3_ENDPOINT: minio.endpoint,
      S3_REGION: minio.region,
      S3_BUCKET: `media-spec-${process.pid}-${++_buckets}`,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
    });
  }
  const service = await startService(_def, { env: { ...base, ...env }, logger: createLogger({ service: 'media', write: () => {} }) });
  const store = service.get<BlobStore>(MEDIA_STORE);
  const { readdir } = await import('node:fs/promises');
  return {
    url: service.get(MediaLifecycle).edge.url,
    service,
    media: service.get(MediaService),
    store,
    async contents() {
      if (store instanceof S3BlobStore) {
        const Bucket = service.settings.S3_BUCKET;
        const objects = (await store.client.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((o) => o.Key!) ?? [];
        const multipart = (await store.client.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads?.map((u) => u.Key!) ?? [];
        return { objects, multipart };
      }
      return { objects: await readdir(path.join(dir, 'media')), multipart: [] };
    },
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An HTTP answer. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with `body` (bytes, or a generator of chunks streamed with backpressure). */
export function call(url: string, method: string, headers: Record<string, string> = {}, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) return void req.end();
    if (body instanceof Uint8Array) return void req.end(body);
    void (async () => {
      try {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      } catch (err) {
        req.destroy(err as Error);
      }
    })();
  });
}

/** The JSON error body of an answer. */
export function errorOf(a: Answer): { code: string; field: string; message: string } {
  return JSON.parse(a.body.toString('utf8')) as { code: string; field: string; message: string };
}

/** Deterministic pseudo-random bytes, `n` of them from `seed`, in chunks (never held whole). */
export async function* pseudoRandom(n: number, seed = 1, chunk = 256 * 1024): AsyncGenerator<Uint8Array> {
  let x = seed >>> 0 || 1;
  for (let done = 0; done < n; done += chunk) {
    const out = Buffer.allocUnsafe(Math.min(chunk, n - done));
    for (let i = 0; i + 4 <= out.length; i += 4) {
      // xorshift32: fast, and no two chunks alike.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out.writeUInt32LE(x >>> 0, i);
    }
    for (let i = out.length - (out.length % 4); i < out.length; i++) out[i] = i & 0xff;
    yield out;
  }
}

/** `n` pseudo-random bytes whole (small blobs). */
export async function bytesOf(n: number, seed = 1): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of pseudoRandom(n, seed)) parts.push(c);
  return Buffer.concat(parts);
}

/** Creates an upload of `length` bytes; its id. */
export async function create(url: string, length: number): Promise<string> {
  const a = await call(`${url}/v1/media/uploads`, 'POST', { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(length) });
  if (a.status !== 201) throw new Error(`create answered ${a.status}: ${a.body.toString()}`);
  return String(a.headers.location).split('/').pop()!;
}

/** PATCHes `bytes` at `offset`. */
export function patch(url: string, id: string, offset: number, bytes: Uint8Array | AsyncIterable<Uint8Array>, length?: number): Promise<Answer> {
  const n = bytes instanceof Uint8Array ? bytes.length : length!;
  return call(
    `${url}/v1/media/uploads/${id}`,
    'PATCH',
    { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(n) },
    bytes,
  );
}
