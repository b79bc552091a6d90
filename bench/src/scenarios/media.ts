// Media transfer rows, each beside a direct S3 SDK transfer of the same bytes to the same MinIO in the
// same run (its ratio is the issue's "≥ 0.8× a direct transfer"):
// - s3-direct-upload / s3-direct-download: @aws-sdk/client-s3 PutObject of a blob, GetObject of it
//   whole, streamed — what an app writing to the bucket itself would do (reference rows);
// - tacit-media-upload / tacit-media-download: the same size through the media service (its own
//   process on S3 and Redis, as the chart runs it): a tus upload (tus-js-client with PATCHes as the
//   SDK sends them from Node: 64 MiB bodies streamed; the service writes S3 multipart parts), and a
//   GET of the blob streamed;
// - tacit-media-upload-held: the upload in 8 MiB PATCHes held whole, as the SDK sends from a browser
//   or a stream source;
// - tacit-media-download-redirect: the same GET with MEDIA_DOWNLOADS=redirect — the service checks
//   the blob and answers 307 to a presigned URL, fetch follows it, and the bytes come from MinIO.
// Bytes are random (the SDK's ciphertext is), generated once per row in the load process; MB/s is
// 10^6 bytes a second over all transfers of the measured window.
import { randomFillSync } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { MEDIA_UPLOAD_CHUNK, MEDIA_UPLOAD_STREAMED_CHUNK } from '@tacit/sdk';
import { Upload } from 'tus-js-client';
import { freePort, startMinio, startRedis, type MinioServer, type RedisServer } from '@tacit/testing';
import { readCpuSeconds, startNodeProcess, waitForHttp, type StartedProcess } from '../proc.js';
import type { Figures, RunContext, RunSettings, Scenario } from '../scenario.js';
import { serviceMain, TACIT_NODE_FLAGS } from '../targets/tacit.js';

/** The blob moved per transfer. */
const blobBytes = (s: RunSettings) => (s.quick ? 16 : 64) * 2 ** 20;
const BUCKET = 'tacit-bench';

/** Drains a web or Node stream, counting bytes. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of body) n += c.length;
  return n;
}

/** `op` repeated until the warm-up, then the measured window, end (at least once each); MB/s of the measured part. */
async function measure(s: RunSettings, bytes: number, op: () => Promise<void>, pid?: number): Promise<Figures> {
  const warmEnd = performance.now() + s.warmupMs;
  do await op();
  while (performance.now() < warmEnd);
  const cpu0 = pid === undefined ? 0 : readCpuSeconds(pid);
  const t0 = performance.now();
  let n = 0;
  do {
    await op();
    n++;
  } while (performance.now() - t0 < s.durationMs);
  const ms = performance.now() - t0;
  return {
    msgsPerSec: null,
    mbPerSec: Math.round(((n * bytes) / (ms / 1000) / 1e6) * 10) / 10,
    transfers: n,
    blobMB: Math.round(bytes / 1e6),
    ...(pid === undefined ? {} : { serverCpuPct: Math.round(((readCpuSeconds(pid) - cpu0) / (ms / 1000)) * 100) }),
  };
}

function s3Of(m: MinioServer): S3Client {
  return new S3Client({ endpoint: m.endpoint, region: m.region, forcePathStyle: true, credentials: { accessKeyId: m.accessKey, secretAccessKey: m.secretKey } });
}

/** A direct S3 row. */
function directRow(kind: 'upload' | 'download'): Scenario {
  let minio: MinioServer | undefined;
  let s3: S3Client | undefined;
  return {
    name: `s3-direct-${kind}`,
    description: kind === 'upload' ? 'direct S3 SDK PutObject of one blob to MinIO (reference for tacit-media-upload)' : 'direct S3 SDK GetObject of one blob from MinIO, streamed (reference for tacit-media-download)',
    budgetMs: (s) => 120_000 + (s.warmupMs + s.durationMs) * 3,
    estimateMs: (s) => 8000 + s.warmupMs + s.durationMs,
    async setup(): Promise<void> {
      minio = await startMinio();
      s3 = s3Of(minio);
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    },
    async run(ctx: RunContext): Promise<Figures> {
      const bytes = blobBytes(ctx.settings);
      const blob = randomFillSync(Buffer.alloc(bytes));
      let i = 0;
      if (kind === 'upload') return measure(ctx.settings, bytes, async () => void (await s3!.send(new PutObjectCommand({ Bucket: BUCKET, Key: `b${i++}`, Body: blob, ContentLength: bytes }))), minio!.pid);
      await s3!.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'blob', Body: blob, ContentLength: bytes }));
      return measure(ctx.settings, bytes, async () => {
        const got = await s3!.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'blob' }));
        if ((await drain(got.Body as AsyncIterable<Uint8Array>)) !== bytes) throw new Error('short GetObject');
      }, minio!.pid);
    },
    async teardown(): Promise<void> {
      s3?.destroy();
      await minio?.stop();
      minio = s3 = undefined;
    },
  };
}

/**
 * Uploads `blob` through the media service's tus endpoint; resolves to its id. `streamed`: PATCH
 * bodies are Node streams of the SDK's streamed size (as `uploadMedia` sends from Node, from a path,
 * a Blob or bytes), else Buffers of its held size.
 */
function tusUpload(base: string, blob: Buffer, streamed: boolean): Promise<string> {
  const fileReader = {
    openFile: async () => ({
      size: blob.length,
      slice: async (start: number, end: number) => {
        const to = Math.min(end, blob.length);
        // In 1 MiB pieces, as the SDK encrypts them.
        const pieces = function* () {
          for (let at = start; at < to; at += 2 ** 20) yield blob.subarray(at, Math.min(to, at + 2 ** 20));
        };
        return { value: Object.assign(Readable.from(pieces(), { objectMode: false }), { size: to - start }), done: end >= blob.length };
      },
      close() {},
    }),
  };
  return new Promise((resolve, reject) => {
    const up = new Upload(blob, {
      endpoint: `${base}/v1/media/uploads`,
      chunkSize: streamed ? MEDIA_UPLOAD_STREAMED_CHUNK : MEDIA_UPLOAD_CHUNK,
      ...(streamed ? { fileReader } : {}),
      retryDelays: [],
      uploadSize: blob.length,
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(up.url!.split('/').pop()!),
    });
    up.start();
  });
}

/**
 * A row through the media service: `redirect`, downloads answered 307 to a presigned S3 URL; `held`,
 * uploads in held 8 MiB PATCHes.
 */
function mediaRow(kind: 'upload' | 'download', variant?: 'redirect' | 'held'): Scenario {
  const redirect = variant === 'redirect';
  let minio: MinioServer | undefined;
  let redis: RedisServer | undefined;
  let media: StartedProcess | undefined;
  let base = '';
  return {
    name: `tacit-media-${kind}${variant ? `-${variant}` : ''}`,
    description:
      kind === 'upload'
        ? variant === 'held'
          ? 'Tacit media service: tus upload in 8 MiB PATCHes held whole (the SDK from a browser or a stream source) of one blob to MinIO (S3 multipart), vs a direct PutObject'
          : 'Tacit media service: tus upload in streamed 64 MiB PATCHes (the SDK from Node) of one blob to MinIO through the service (S3 multipart), vs a direct PutObject'
        : redirect
          ? 'Tacit media service, MEDIA_DOWNLOADS=redirect: GET of one blob answered 307 to a presigned S3 URL, followed by fetch, streamed, vs a direct GetObject'
          : 'Tacit media service: GET of one blob from MinIO through the service, streamed, vs a direct GetObject',
    ratios: { toBaseline: { row: `s3-direct-${kind}`, figure: 'mbPerSec' } },
    budgetMs: (s) => 150_000 + (s.warmupMs + s.durationMs) * 3,
    estimateMs: (s) => 12_000 + s.warmupMs + s.durationMs,
    async setup(ctx: RunContext): Promise<void> {
      [minio, redis] = await Promise.all([startMinio(), startRedis()]);
      const [port, opsPort] = [await freePort(), await freePort()];
      media = startNodeProcess(serviceMain('media'), [], {
        nodeFlags: TACIT_NODE_FLAGS,
        env: {
          MEDIA_HOST: '127.0.0.1',
          MEDIA_PORT: String(port),
          OPS_HOST: '127.0.0.1',
          OPS_PORT: String(opsPort),
          LOG_LEVEL: 'warn',
          S3_ENDPOINT: minio.endpoint,
          S3_REGION: minio.region,
          S3_BUCKET: BUCKET,
          S3_FORCE_PATH_STYLE: 'true',
          AWS_ACCESS_KEY_ID: minio.accessKey,
          AWS_SECRET_ACCESS_KEY: minio.secretKey,
          REDIS_URL: redis.url,
          TMPDIR: ctx.tmpDir,
          // One load process: lift the per-address limits meant for the internet.
          MEDIA_QUOTA_BYTES_PER_DAY: String(2 ** 50),
          MEDIA_REQUESTS_PER_MINUTE: '10000000',
          ...(redirect ? { MEDIA_DOWNLOADS: 'redirect' } : {}),
        },
      });
      await waitForHttp(`http://127.0.0.1:${opsPort}/readyz`, 60_000);
      base = `http://127.0.0.1:${port}`;
    },
    async run(ctx: RunContext): Promise<Figures> {
      const bytes = blobBytes(ctx.settings);
      const blob = randomFillSync(Buffer.alloc(bytes));
      if (kind === 'upload') return measure(ctx.settings, bytes, async () => void (await tusUpload(base, blob, variant !== 'held')), media!.pid);
      const id = await tusUpload(base, blob, true);
      return measure(ctx.settings, bytes, async () => {
        const res = await fetch(`${base}/v1/media/blobs/${id}`);
        if (res.status !== 200 || (await drain(res.body as unknown as AsyncIterable<Uint8Array>)) !== bytes) throw new Error(`download: HTTP ${res.status}`);
        // The redirect row must have been redirected (the URL fetch ended on is MinIO's), the other not.
        if (res.redirected !== redirect) throw new Error(`download: redirected ${res.redirected}, expected ${redirect}`);
      }, media!.pid);
    },
    async teardown(): Promise<void> {
      await media?.stop(5000);
      await Promise.all([minio?.stop(), redis?.stop()]);
      media = minio = redis = undefined;
    },
  };
}

/** The media rows, references first. */
export function mediaScenarios(): Scenario[] {
  return [directRow('upload'), mediaRow('upload'), mediaRow('upload', 'held'), directRow('download'), mediaRow('download'), mediaRow('download', 'redirect')];
}
