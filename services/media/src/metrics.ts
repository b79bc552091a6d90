/**
 * Prometheus metrics of the media service, filled from {@link MediaService.stats} when scraped:
 * counts and bytes only, labels from fixed sets — never ids, addresses or their hashes.
 * @module
 */
import type { Metrics } from '@tacit/kit';
import type { BlobStore } from './store.js';
import type { MediaService, MediaStats } from './media.service.js';

/** Registers the media service's metrics (prefix `tacit_media_`) and returns `sync`, to call before each scrape. */
export function bindMediaMetrics(metrics: Metrics, service: MediaService, store?: Pick<BlobStore, 'patchWrites'>): () => void {
  const patches = metrics.counter<'path'>({
    name: 'upload_patches_total',
    help: 'S3 store: PATCHes by path — streamed (parts straight into S3), buffered (temp files: a PATCH ending mid-part, no Content-Length), full (buffered because MEDIA_MAX_STREAMED_PATCHES were streaming)',
    labelNames: ['path'],
  });
  let lastWrites = { streamed: 0, buffered: 0, full: 0 };
  const uploads = metrics.counter<'event'>({ name: 'uploads_total', help: 'Uploads created and completed', labelNames: ['event'] });
  const uploadBytes = metrics.counter<'event'>({ name: 'upload_bytes_total', help: 'Bytes declared by created uploads and stored by completed ones', labelNames: ['event'] });
  const downloads = metrics.counter({ name: 'downloads_total', help: 'Downloads (whole or ranged) sent to the end' });
  const served = metrics.counter({ name: 'download_bytes_total', help: 'Bytes sent by downloads' });
  const redirected = metrics.counter({ name: 'downloads_redirected_total', help: 'Downloads answered with a redirect to a presigned S3 URL (MEDIA_DOWNLOADS=redirect); their bytes do not pass the service' });
  const refused = metrics.counter<'code'>({ name: 'refused_total', help: 'Requests refused, by error code', labelNames: ['code'] });
  const swept = metrics.counter<'kind'>({ name: 'swept_total', help: 'Expired blobs and abandoned uploads deleted by the sweeper', labelNames: ['kind'] });
  const sweepFailures = metrics.counter({ name: 'sweep_failures_total', help: 'Sweeps that failed (retried at the next interval)' });
  const inflight = metrics.gauge({ name: 'requests_in_flight', help: 'Requests being served by this replica' });
  let last: MediaStats | undefined;
  return () => {
    const now = service.stats();
    const d = (k: Exclude<keyof MediaStats, 'refused'>): number => now[k] - (last?.[k] ?? 0);
    uploads.inc({ event: 'created' }, d('uploadsCreated'));
    uploads.inc({ event: 'completed' }, d('uploadsCompleted'));
    uploadBytes.inc({ event: 'declared' }, d('bytesDeclared'));
    uploadBytes.inc({ event: 'completed' }, d('bytesCompleted'));
    downloads.inc(d('downloads'));
    served.inc(d('bytesServed'));
    redirected.inc(d('redirected'));
    for (const [code, n] of Object.entries(now.refused)) refused.inc({ code }, n - (last?.refused[code as keyof MediaStats['refused']] ?? 0));
    swept.inc({ kind: 'blob' }, d('sweptBlobs'));
    swept.inc({ kind: 'upload' }, d('sweptUploads'));
    sweepFailures.inc(d('sweepFailures'));
    inflight.set(service.inflight.requests);
    last = now;
    const w = store?.patchWrites;
    if (w) {
      for (const k of ['streamed', 'buffered', 'full'] as const) if (w[k] > lastWrites[k]) patches.inc({ path: k }, w[k] - lastWrites[k]);
      lastWrites = { ...w };
    }
  };
}
