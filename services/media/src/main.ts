// The media service alone, as the cluster runs it: S3 for blobs, Redis for quotas and limits, its
// own HTTP listener for tus uploads and ranged downloads, the ops listener for probes and metrics.
// (The node composes the same MediaModule in one process, with a folder for blobs.)
import { runService } from '@tacit/platform';
import { mediaService } from './service.js';

await runService(mediaService, {
  onStarted: (p) => p.logger.info('media_serving', { ops: p.opsUrl, store: p.settings.MEDIA_STORE, maxBlobBytes: p.settings.MEDIA_MAX_BLOB_BYTES }),
});
