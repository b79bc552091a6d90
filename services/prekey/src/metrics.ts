/**
 * Prometheus metrics of the prekey service, filled from {@link PrekeyService.stats} when scraped:
 * counts only, labels from fixed sets, never addresses, keys or bytes.
 * @module
 */
import type { Metrics } from '@tacit/kit';
import type { PrekeyService, PrekeyStats } from './prekey.service.js';

/** Options of {@link bindPrekeyMetrics}. */
export interface PrekeyMetricsOptions {
  /** Refresh the stored-identities gauge at most this often (it counts a table; default 60 000 ms). */
  storedRefreshMs?: number;
}

/**
 * Registers the prekey service's metrics on `metrics` (prefix `tacit_prekey_` when built for service
 * "prekey") and returns `sync`, to call before each scrape.
 */
export function bindPrekeyMetrics(metrics: Metrics, service: PrekeyService, opts: PrekeyMetricsOptions = {}): () => void {
  const uploads = metrics.counter<'outcome'>({
    name: 'uploads_total',
    help: 'Uploads by outcome: ok, or the error code they were refused with',
    labelNames: ['outcome'],
  });
  const fetches = metrics.counter<'outcome'>({
    name: 'fetches_total',
    help: 'Fetches by outcome: one_time (a one-time post-quantum key handed out), last_resort, not_found',
    labelNames: ['outcome'],
  });
  const challenges = metrics.counter({ name: 'challenges_total', help: 'Upload challenges issued' });
  const stored = metrics.counter({ name: 'one_time_keys_stored_total', help: 'One-time prekeys (both kinds) stored by uploads' });
  const expired = metrics.counter({ name: 'expired_identities_total', help: 'Bundles deleted because their owner stopped uploading' });
  const identities = metrics.gauge({ name: 'identities', help: 'Bundles stored (refreshed at most once a minute)' });
  const refreshMs = opts.storedRefreshMs ?? 60_000;
  let last: PrekeyStats | undefined;
  let refreshedAt = 0;
  return () => {
    const now = service.stats();
    const d = (k: Exclude<keyof PrekeyStats, 'uploadsRefused'>): number => now[k] - (last?.[k] ?? 0);
    uploads.inc({ outcome: 'ok' }, d('uploadsOk'));
    for (const [code, n] of Object.entries(now.uploadsRefused)) uploads.inc({ outcome: code }, n - (last?.uploadsRefused[code] ?? 0));
    fetches.inc({ outcome: 'one_time' }, d('fetchesOneTime'));
    fetches.inc({ outcome: 'last_resort' }, d('fetchesLastResort'));
    fetches.inc({ outcome: 'not_found' }, d('fetchesNotFound'));
    challenges.inc(d('challenges'));
    stored.inc(d('keysStored'));
    expired.inc(d('expired'));
    last = now;
    if (Date.now() - refreshedAt >= refreshMs) {
      refreshedAt = Date.now();
      service.storedIdentities().then(
        (n) => identities.set(n),
        () => {},
      );
    }
  };
}
