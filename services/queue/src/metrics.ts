/**
 * Prometheus metrics of the queue, filled from {@link QueueService.stats} when scraped: counts
 * only, labels from fixed sets, never ids or bytes.
 * @module
 */
import type { Metrics } from '@tacit/kit';
import type { QueueService, QueueStats } from './queue.service.js';

/** Options of {@link bindQueueMetrics}. */
export interface QueueMetricsOptions {
  /** Refresh the stored-packets gauge at most this often (it sums a table; default 60 000 ms). */
  storedRefreshMs?: number;
}

/**
 * Registers the queue's metrics on `metrics` (prefix `tacit_queue_` when built for service
 * "queue") and returns `sync`, to call before each scrape.
 */
export function bindQueueMetrics(metrics: Metrics, service: QueueService, opts: QueueMetricsOptions = {}): () => void {
  const packets = metrics.counter<'outcome'>({
    name: 'enqueued_packets_total',
    help: 'Packets offered to the queue, by outcome: stored, duplicate, mailbox_full, storage_full (past the watermark), overloaded (too many waiting to commit)',
    labelNames: ['outcome'],
  });
  const transactions = metrics.counter({ name: 'enqueue_transactions_total', help: 'Enqueue transactions committed (group commits)' });
  const drained = metrics.counter({ name: 'drained_packets_total', help: 'Packets returned by drains' });
  const acked = metrics.counter({ name: 'acked_packets_total', help: 'Packets deleted by acks' });
  const dropped = metrics.counter({ name: 'partitions_dropped_total', help: 'Expired day partitions dropped' });
  const largest = metrics.gauge({ name: 'largest_batch_packets', help: 'Largest group commit so far, in packets' });
  const stored = metrics.gauge({ name: 'stored_packets', help: 'Packets stored (refreshed at most once a minute)' });
  const storedBytes = metrics.gauge({ name: 'stored_bytes', help: 'Bytes the stored packets take on disk (tables, indexes, TOAST), as last measured for the storage watermark' });
  const refreshMs = opts.storedRefreshMs ?? 60_000;
  let last: QueueStats | undefined;
  let refreshedAt = 0;
  return () => {
    const now = service.stats();
    const d = (k: keyof QueueStats): number => now[k] - (last?.[k] ?? 0);
    packets.inc({ outcome: 'stored' }, d('stored'));
    packets.inc({ outcome: 'duplicate' }, d('duplicate'));
    packets.inc({ outcome: 'mailbox_full' }, d('mailboxFull'));
    packets.inc({ outcome: 'storage_full' }, d('storageFull'));
    packets.inc({ outcome: 'overloaded' }, d('overloaded'));
    transactions.inc(d('enqueueBatches'));
    drained.inc(d('drained'));
    acked.inc(d('acked'));
    dropped.inc(d('partitionsDropped'));
    largest.set(now.largestBatch);
    if (service.storedBytes >= 0) storedBytes.set(service.storedBytes);
    last = now;
    if (Date.now() - refreshedAt >= refreshMs) {
      refreshedAt = Date.now();
      // Off the scrape's path: the gauge shows the last value until the sum arrives.
      service.storedPackets().then(
        (n) => stored.set(n),
        () => {},
      );
    }
  };
}
