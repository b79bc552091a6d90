/**
 * The media service's settings, read once at boot (see {@link mediaConfigSchema}), and how they map
 * onto {@link MediaLimits}.
 * @module
 */
import { bool, bytes, defineConfig, duration, int, oneOf, port, string, url, type Config, type ConfigIssue } from '@tacit/kit';
import { CLIENT_ADDRESS_SOURCES } from '@tacit/platform';

/** S3's smallest part of a multipart upload but the last. */
export const MIN_PART_SIZE = 5 * 2 ** 20;

/**
 * The media service's own settings (MEDIA_*), its store (S3_* as the chart names them for every
 * service, or a folder under DATA_DIR) and Redis: in every process that runs it.
 */
export const mediaConfigSchema = defineConfig({
  MEDIA_HOST: string({ default: '0.0.0.0', description: 'address the media listener (tus uploads /v1/media/uploads, downloads /v1/media/blobs) binds' }),
  MEDIA_PORT: port({ default: 8082, description: 'media listener port (ops endpoints are on OPS_PORT)' }),
  MEDIA_PUBLIC_BASE_PATH: string({
    optional: true,
    pattern: /^(\/[A-Za-z0-9._~-]+)*$/,
    description: "path prefix a proxy in front adds (e.g. /media): put before /v1/media/uploads/{id} in an upload's Location; empty: none",
  }),
  MEDIA_STORE: oneOf(['s3', 'fs'] as const, { default: 'fs', description: 'where blobs live: s3 (S3_* settings) or fs (DATA_DIR/media, the node)' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'with MEDIA_STORE=fs: blobs go in DATA_DIR/media' }),
  S3_ENDPOINT: url({ optional: true, protocols: ['http:', 'https:'], description: 'S3 endpoint URL (MinIO, another S3-compatible store); unset: AWS' }),
  S3_REGION: string({ default: 'us-east-1', minLength: 1, description: 'S3 region' }),
  S3_BUCKET: string({ default: 'tacit', minLength: 3, maxLength: 63, description: 'bucket holding the blobs (made at start if missing)' }),
  S3_FORCE_PATH_STYLE: bool({ default: false, description: 'path-style addressing (MinIO, most non-AWS stores)' }),
  AWS_ACCESS_KEY_ID: string({ optional: true, secret: true, description: "S3 access key id; unset: the AWS SDK's default chain (instance role, web identity)" }),
  AWS_SECRET_ACCESS_KEY: string({ optional: true, secret: true, description: 'S3 secret access key (with AWS_ACCESS_KEY_ID)' }),
  S3_PUBLIC_ENDPOINT: url({ optional: true, protocols: ['http:', 'https:'], description: 'with MEDIA_DOWNLOADS=redirect: the S3 endpoint URL clients reach (an ingress to MinIO, a CDN in front of S3); presigned URLs are signed for it. Unset: S3_ENDPOINT' }),
  MEDIA_DOWNLOADS: oneOf(['proxy', 'redirect'] as const, {
    default: 'proxy',
    description: "how a GET of a blob is answered: proxy streams it through the service; redirect answers 307 to a presigned S3 GET of that blob (MEDIA_STORE=s3 only; clients must reach S3_PUBLIC_ENDPOINT, and a browser needs the bucket's CORS), so the bytes skip the service. Existence, expiry, Range and the limits are checked first either way",
  }),
  MEDIA_REDIRECT_TTL: duration({ default: 60_000, min: 1000, max: 3_600_000, description: "with MEDIA_DOWNLOADS=redirect: how long a presigned URL stays valid (it only has to last until the client's request reaches S3); a duration like 60s (the default in ms)" }),
  MEDIA_PART_SIZE: bytes({ default: 8 * 2 ** 20, min: MIN_PART_SIZE, max: 5 * 2 ** 30, description: "S3 multipart part size, like 8MiB (the default in bytes), at least 5MiB; a PATCH covering whole parts (or ending the upload) streams each part to S3 as it arrives; any other PATCH buffers its parts in temporary files (the OS's temp folder), never in memory" }),
  MEDIA_MAX_STREAMED_PATCHES: int({
    default: 32,
    min: 1,
    max: 10_000,
    description: 'PATCHes one replica streams straight into S3 at once (MEDIA_STORE=s3), each holding an S3 connection of a pool of this size for as long as its client takes; past it a PATCH buffers its parts in temporary files',
  }),
  MEDIA_MAX_BLOB_BYTES: bytes({ default: 512 * 2 ** 20, min: 1, max: 5 * 2 ** 40, description: 'largest blob accepted, like 512MiB (the default in bytes): a larger Upload-Length is refused (413 TOO_LARGE) before any byte is stored' }),
  MEDIA_QUOTA_BYTES_PER_DAY: bytes({ default: 2 * 2 ** 30, min: 1, max: 2 ** 50, description: 'bytes one client address (an IPv6 /64) may declare in uploads per day (a fixed UTC day), across replicas, like 2GiB (the default in bytes); past it 429 QUOTA_EXCEEDED' }),
  MEDIA_MAX_CONCURRENT_UPLOADS: int({ default: 4, min: 1, max: 10_000, description: 'upload requests (POST, PATCH) of one client address served at once by one replica; past it 429 RATE_LIMITED' }),
  MEDIA_REQUESTS_PER_MINUTE: int({ default: 1200, min: 1, max: 10_000_000, description: 'requests (uploads and downloads) per minute per client address, across replicas; past it 429 RATE_LIMITED' }),
  MEDIA_MAX_INFLIGHT: int({ default: 512, min: 1, max: 100_000, description: 'requests served at once by one replica; past it 503 UNAVAILABLE' }),
  MEDIA_IDLE_TIMEOUT: duration({ default: 60_000, min: 1000, max: 3_600_000, description: 'a request whose socket sends nothing for this long is closed (a tus client resumes); a duration like 60s (the default in ms)' }),
  MEDIA_EXPIRY: duration({ default: 30 * 86_400_000, min: 1000, max: 3650 * 86_400_000, description: 'a completed blob answers 404 this long after its upload, and the sweeper deletes it; a duration like 30d (the default in ms: 30 days)' }),
  MEDIA_UPLOAD_EXPIRY: duration({ default: 86_400_000, min: 1000, max: 30 * 86_400_000, description: 'an unfinished upload is deleted (its S3 multipart upload aborted) this long after it was created; a duration like 24h (the default in ms)' }),
  MEDIA_SWEEP_INTERVAL: duration({ default: 3_600_000, min: 100, max: 86_400_000, description: 'how often expired blobs and abandoned uploads are swept; a duration like 1h (the default in ms)' }),
  MEDIA_CLIENT_ADDRESS_FROM: oneOf(CLIENT_ADDRESS_SOURCES, {
    default: 'socket',
    description: 'where the client address limits key on comes from: the TCP peer, a PROXY protocol v2 header, or X-Forwarded-For (both only from MEDIA_TRUSTED_PROXIES)',
  }),
  MEDIA_TRUSTED_PROXIES: string({ optional: true, description: 'comma-separated addresses and CIDRs of load balancers whose PROXY header or X-Forwarded-For is believed' }),
  REDIS_URL: url({ optional: true, protocols: ['redis:', 'rediss:'], description: 'Redis for quotas and limits shared by all replicas; unset (the node): in memory' }),
});

/** The media service as the cluster runs it: S3 by default, Redis required (quotas across replicas). */
export const mediaServiceConfigSchema = defineConfig({
  ...mediaConfigSchema,
  MEDIA_STORE: oneOf(['s3', 'fs'] as const, { default: 's3', description: 'where blobs live: s3 (S3_* settings) or fs (DATA_DIR/media; one replica only)' }),
  REDIS_URL: url({ protocols: ['redis:', 'rediss:'], description: 'Redis for quotas and limits shared by all replicas' }),
});

/** The validated settings. */
export type MediaConfig = Config<typeof mediaConfigSchema>;

/** Cross-variable checks: S3 credentials come in pairs; redirected downloads need S3. */
export function mediaSettingsIssues(s: Pick<MediaConfig, 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY'> & Partial<Pick<MediaConfig, 'MEDIA_DOWNLOADS' | 'MEDIA_STORE'>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (Boolean(s.AWS_ACCESS_KEY_ID) !== Boolean(s.AWS_SECRET_ACCESS_KEY)) {
    const missing = s.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    issues.push({ key: missing, problem: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together, or neither (the SDK default chain)' });
  }
  if (s.MEDIA_DOWNLOADS === 'redirect' && s.MEDIA_STORE !== 's3') {
    issues.push({ key: 'MEDIA_DOWNLOADS', problem: 'redirect needs MEDIA_STORE=s3 (a folder has no URL to send a client to); use proxy' });
  }
  return issues;
}

/** The limits the media service enforces, in the units its code uses. */
export interface MediaLimits {
  maxBlobBytes: number;
  quotaBytesPerDay: number;
  maxConcurrentUploads: number;
  requestsPerMinute: number;
  maxInflight: number;
  idleTimeoutMs: number;
  expiryMs: number;
  uploadExpiryMs: number;
  sweepIntervalMs: number;
}

/** The {@link MediaLimits} these settings ask for. */
export function mediaLimits(c: MediaConfig): MediaLimits {
  return {
    maxBlobBytes: c.MEDIA_MAX_BLOB_BYTES,
    quotaBytesPerDay: c.MEDIA_QUOTA_BYTES_PER_DAY,
    maxConcurrentUploads: c.MEDIA_MAX_CONCURRENT_UPLOADS,
    requestsPerMinute: c.MEDIA_REQUESTS_PER_MINUTE,
    maxInflight: c.MEDIA_MAX_INFLIGHT,
    idleTimeoutMs: c.MEDIA_IDLE_TIMEOUT,
    expiryMs: c.MEDIA_EXPIRY,
    uploadExpiryMs: c.MEDIA_UPLOAD_EXPIRY,
    sweepIntervalMs: c.MEDIA_SWEEP_INTERVAL,
  };
}
