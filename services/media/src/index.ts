// @tacit/media: opaque encrypted blobs — resumable tus uploads to S3 or a folder, ranged downloads,
// size caps, per-address quotas, expiry (docs/media.md).
export { mediaConfigSchema, mediaServiceConfigSchema, mediaLimits, mediaSettingsIssues, MIN_PART_SIZE, type MediaConfig, type MediaLimits } from './config.js';
export { MEDIA_ERROR_STATUS, MediaError, type MediaErrorCode } from './errors.js';
export { BLOB_ID_BYTES, isBlobId, newBlobId } from './ids.js';
export { InFlight, MemoryWindowCounter, RedisWindowCounter, type Taken, type WindowCounter } from './limits.js';
export { MediaService, type MediaServiceOptions, type MediaStats } from './media.service.js';
export { BLOBS_PATH, MediaEdge, UPLOADS_PATH, type MediaEdgeOptions } from './edge.js';
export { FsBlobStore, S3BlobStore, type BlobInfo, type BlobStore, type S3Settings } from './store.js';
export { bindMediaMetrics } from './metrics.js';
export { MEDIA_REDIS, MEDIA_STORE, MediaLifecycle, MediaModule, mediaStore } from './media.module.js';
export { mediaService } from './service.js';
