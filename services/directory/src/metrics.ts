/**
 * Prometheus metrics of the directory, filled from {@link DirectoryService.stats} when scraped:
 * counts only, labels from fixed sets, never lookup keys, entry ids, records or requesters.
 * @module
 */
import type { Metrics } from '@tacit/kit';
import type { DirectoryOp, DirectoryService, DirectoryStats } from './directory.service.js';

/** Registers the directory's metrics on `metrics` (prefix `tacit_directory_`) and returns `sync`, to call before each scrape. */
export function bindDirectoryMetrics(metrics: Metrics, service: DirectoryService): () => void {
  const requests = metrics.counter<'op' | 'outcome'>({
    name: 'requests_total',
    help: 'Requests by operation (register, lookup, transfer, release) and outcome: ok, or the error code they were refused with',
    labelNames: ['op', 'outcome'],
  });
  const challenges = metrics.counter({ name: 'challenges_total', help: 'Registration challenges issued' });
  let last: DirectoryStats | undefined;
  return () => {
    const now = service.stats();
    for (const op of Object.keys(now.outcomes) as DirectoryOp[]) {
      for (const [outcome, n] of Object.entries(now.outcomes[op])) requests.inc({ op, outcome }, n - (last?.outcomes[op][outcome] ?? 0));
    }
    challenges.inc(now.challenges - (last?.challenges ?? 0));
    last = now;
  };
}
